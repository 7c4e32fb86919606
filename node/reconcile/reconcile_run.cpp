#include "node/reconcile/reconcile_run.hpp"

#include <set>

#include "node/reconcile/mint_log_sweep.hpp"
#include "node/reconcile/reconcile_compare.hpp"
#include "node/reconcile/reconcile_pin.hpp"
#include "rpc/logging.hpp"

namespace claimsync::node {
namespace {

constexpr std::size_t kClaimPage = 10'000;

void chain_part(eth::ChainSource& chain, const ReconcileSettings& s, const PinnedBlock& pin,
                ReconcileInputs& in, ReconcileReport& report) {
  if (pin.number < s.start_block) {
    in.chain_claims.emplace();  // nothing to sweep below start_block
    return;
  }
  MintSweepSettings ms{
      s.chain_id, s.contract, {s.levels.begin(), s.levels.end()}, s.log_chunk_blocks};
  auto hash = eth::Hash32::parse(pin.hash);
  Result<MintSweep> sweep = sweep_mints(chain, ms, s.start_block, {pin.number, *hash});
  if (!sweep.ok()) {
    report.partial_reasons.push_back("chain log sweep: " + sweep.status().to_string());
    return;
  }
  report.cost.log_calls = sweep->calls;
  report.chain_claims = sweep->claims.size();
  in.chain_claims = std::move(sweep->claims);
}

void balance_part(eth::ChainSource& chain, const ReconcileSettings& s, const PinnedBlock& pin,
                  ReconcileInputs& in, ReconcileReport& report) {
  const std::vector<eth::Address> wallets = known_wallets(in.store_claims, in.sink);
  report.wallets = wallets.size();
  // Zero balances matter only where a claim makes a member (member_not_holding).
  std::set<WalletLevel> members;
  for (const store::Claim& c : in.store_claims) {
    if (claim_is_live(c.state) && c.block_number <= pin.number) members.insert({c.wallet, c.level});
  }
  BalanceSweepOptions options = s.balances;
  options.zero_pairs_kept = &members;
  BalanceSweep b = sweep_balances(chain, s.contract, wallets, s.levels, pin.number, options);
  report.cost.balance_calls = b.calls;
  report.cost.balance_retries = b.retries;
  report.cost.balance_pairs = b.pairs_read;
  report.cost.smallest_batch = b.smallest_batch;
  if (!b.failure.ok()) {
    report.partial_reasons.push_back("balances: " + std::to_string(b.pairs_unread) +
                                     " pair(s) unread: " + b.failure.to_string());
  }
  in.balances = std::move(b.balances);  // the pairs read are still classified
}

}  // namespace

ReconcileSettings reconcile_settings(const Config& config) {
  ReconcileSettings s;
  s.chain_id = config.chain.chain_id;
  s.contract = config.chain.contract;
  s.start_block = config.chain.start_block;
  s.levels = config.chain.levels;
  s.log_chunk_blocks = config.rpc.logs_max_span;
  s.balances.concurrency = config.reconcile.balance_concurrency;
  return s;
}

std::vector<store::Claim> read_all_claims(const store::NodeStore& store) {
  std::vector<store::Claim> out;
  const store::StateCounters counters = store.counters();
  for (int i = 0; i < store::kClaimStateCount; ++i) {
    const auto state = static_cast<store::ClaimState>(i);
    const std::uint64_t pages = counters.of(state) / kClaimPage + 2;
    std::optional<store::ClaimKey> after;
    for (std::uint64_t p = 0; p < pages; ++p) {
      std::vector<store::Claim> page = store.list_by_state(state, kClaimPage, after);
      if (page.empty()) break;
      after = page.back().key;
      for (store::Claim& c : page) out.push_back(std::move(c));
      if (page.size() < kClaimPage) break;
    }
  }
  return out;
}

ReconcileReport run_reconcile(eth::ChainSource& chain, const store::NodeStore& store,
                              store::SinkSnapshotReader* sink, const std::string& sink_error,
                              const ReconcileSettings& s, Clock& clock,
                              ReconcileInputs* inputs_out) {
  const std::int64_t started = clock.now_ms();
  ReconcileReport report;
  report.sample_limit = s.samples;
  ReconcileInputs in;
  in.chain_id = s.chain_id;
  in.store_claims = read_all_claims(store);
  in.scanned = store.ranges();
  report.checkpoint = store.checkpoint();
  report.store_claims = in.store_claims.size();

  if (sink == nullptr) {
    report.partial_reasons.push_back("sink: " + sink_error);
  } else if (Result<store::SinkSnapshot> snap = sink->read(s.chain_id); !snap.ok()) {
    report.partial_reasons.push_back("sink: " + snap.status().to_string());
  } else {
    report.unreadable_sink_rows = snap->unreadable_rows;
    in.sink = std::move(*snap);
  }

  Result<PinnedBlock> pin = resolve_pin(chain, s.at);
  if (!pin.ok()) {
    report.partial_reasons.push_back("pin: " + pin.status().to_string());
  } else {
    report.pin = *pin;
    in.pin = pin->number;
    chain_part(chain, s, *pin, in, report);
    balance_part(chain, s, *pin, in, report);
    Status still = check_pin_still_canonical(chain, *pin);
    if (!still.ok()) report.partial_reasons.push_back("pin: " + still.to_string());
  }
  reconcile_compare(in, report);
  report.cost.elapsed_ms = clock.now_ms() - started;
  log_info("reconcile_done", {{"result", report.complete() ? "complete" : "partial"},
                              {"differences", report.differences()},
                              {"elapsed_ms", report.cost.elapsed_ms}});
  if (inputs_out != nullptr) *inputs_out = std::move(in);
  return report;
}

}  // namespace claimsync::node
