#include "node/reconcile/origin_queue_import.hpp"

#include <algorithm>
#include <list>

namespace claimsync::node {
namespace {

using C = OriginImportClass;

// Past its retry window an entry still verifying is waited for this much longer (one RPC
// call with the client's own retries) before it counts as unverified.
constexpr std::int64_t kGraceMs = 60'000;
constexpr std::int64_t kPollMs = 20;

OriginImportSample sample_of(const std::string& tx, const std::string& reason,
                             const std::vector<store::Claim>& claims,
                             std::optional<std::uint64_t> block = std::nullopt) {
  OriginImportSample s{tx, reason, "", "", 0, block};
  if (!claims.empty()) {
    s.claim_key = claims.front().key.to_string();
    s.wallet = claims.front().wallet.lower_hex();
    s.level = claims.front().level;
    s.block = claims.front().block_number;
  }
  return s;
}

}  // namespace

OriginQueueImport::OriginQueueImport(std::string table, OriginImportOptions options)
    : options_(std::move(options)) {
  summary_.table = std::move(table);
}

void OriginQueueImport::add_row(std::optional<std::string_view> tx_hash) {
  ++summary_.rows;
  if (!tx_hash) {
    add(C::kPlaceholder, {"NULL", "no tx_hash", "", "", 0, std::nullopt});
    return;
  }
  auto parsed = eth::Hash32::parse(*tx_hash);
  if (!seen_.emplace(parsed.ok() ? parsed->hex() : std::string(*tx_hash)).second) {
    ++summary_.duplicates;
    return;
  }
  if (!parsed.ok()) {
    add(C::kPlaceholder, {std::string(*tx_hash),
                          "not a transaction hash (" + parsed.status().message() +
                              "): a row the origin made up, e.g. its recovery scanner's",
                          "", "", 0, std::nullopt});
    return;
  }
  to_verify_.push_back(*parsed);
}

void OriginQueueImport::classify(const eth::Hash32& tx, const IntakeService::Verdict& v) {
  const std::string hex = tx.hex();
  const std::optional<std::uint64_t> block =
      v.block ? std::optional(v.block->number) : std::nullopt;
  if (v.status == "claimed") {
    summary_.claims_ingested += v.claims.size();
    for (const store::Claim& c : v.claims) ingested_keys_.push_back(c.key);
    add(C::kIngested, sample_of(hex, "a mint the store lacked", v.claims));
  } else if (v.status == "no_claim") {
    add(v.outcome == "reverted" ? C::kReverted : C::kForeign, sample_of(hex, v.reason, {}, block));
  } else if (v.status == "not_found") {
    add(C::kNoReceipt, sample_of(hex, v.reason, {}));
  } else if (v.status == "mismatch") {
    add(C::kScanDisagrees, sample_of(hex, v.reason, v.claims));
  } else {
    add(C::kUnverified, sample_of(hex, v.status + ": " + v.reason, {}));
  }
}

void OriginQueueImport::verify(eth::ChainSource& chain, store::NodeStore& store, Clock& clock,
                               const std::function<void(const std::string&)>& progress) {
  const std::int64_t started = clock.now_ms();
  IntakeOptions io = options_.intake;
  io.replicate = IntakeReplicate::kAtOnce;  // the node is stopped: nothing else ingests
  io.source = store::kSourceReconcile;
  io.watch_ms = options_.retry_ms;
  io.recheck_ms = std::clamp<std::int64_t>(options_.retry_ms / 4, 100, 5'000);
  io.queue_limit = std::max<std::size_t>(1, options_.window);
  io.max_tracked = 2 * io.queue_limit + 1;  // a finished answer outlives the next poll
  StopFlag stop;
  IntakeService verifier(chain, store, clock, stop, io, AttestationChecks{});
  verifier.start();

  struct Open {
    eth::Hash32 tx;
    std::int64_t give_up_at_ms = 0;
  };
  std::list<Open> open;
  std::vector<eth::Hash32> gave_up;
  std::size_t next = 0, done = 0;
  std::int64_t next_progress = started + options_.progress_every_ms;
  auto report_progress = [&] {
    progress("reconcile import: " + std::to_string(done) + "/" + std::to_string(to_verify_.size()) +
             " tx hash(es) verified (ingested " + std::to_string(summary_.of(C::kIngested).count) +
             ", already_known " + std::to_string(summary_.of(C::kAlreadyKnown).count) +
             ", not_a_mint " + std::to_string(summary_.not_a_mint()) + ", unverified " +
             std::to_string(summary_.of(C::kUnverified).count + gave_up.size()) + ")");
  };
  // Every pass submits or collects something, or sleeps kPollMs; each open hint ends by
  // its verdict or its give-up time, so the loop ends.
  while (next < to_verify_.size() || !open.empty()) {
    bool moved = false;
    while (next < to_verify_.size() && open.size() < io.queue_limit) {
      const eth::Hash32& tx = to_verify_[next];
      const std::vector<store::Claim> known = store.list_by_tx(io.chain_id, tx);
      if (!known.empty()) {
        add(C::kAlreadyKnown,
            sample_of(tx.hex(), store::claim_state_name(known.front().state), known));
        ++next, ++done, moved = true;
        continue;
      }
      const ApiReply r = verifier.submit_hint(tx, std::nullopt, store::kSourceReconcile);
      if (r.status == 429) break;  // full: collect first
      if (r.status == 200 || r.status == 202) {
        open.push_back({tx, clock.now_ms() + options_.retry_ms + kGraceMs});
      } else {
        add(C::kUnverified, sample_of(tx.hex(), "refused by the verifier: " + r.body.dump(), {}));
        ++done;
      }
      ++next, moved = true;
    }
    const std::int64_t now = clock.now_ms();
    for (auto it = open.begin(); it != open.end();) {
      std::optional<IntakeService::Verdict> v = verifier.verdict(it->tx);
      if (!v && now < it->give_up_at_ms) {
        ++it;
        continue;
      }
      if (v) {
        classify(it->tx, *v);
      } else {
        gave_up.push_back(it->tx);
      }
      ++done, moved = true;
      it = open.erase(it);
    }
    if (now >= next_progress) {
      next_progress = now + options_.progress_every_ms;
      report_progress();
    }
    if (!moved) clock.sleep_ms(kPollMs, stop);
  }
  verifier.stop();  // a verification still in flight ends (and may have ingested)
  // Those given up on: the store says whether their verification ingested after all.
  for (const eth::Hash32& tx : gave_up) {
    if (std::optional<IntakeService::Verdict> v = verifier.verdict(tx)) {
      classify(tx, *v);
      continue;
    }
    const std::vector<store::Claim> claims = store.list_by_tx(io.chain_id, tx);
    if (!claims.empty()) {
      summary_.claims_ingested += claims.size();
      for (const store::Claim& c : claims) ingested_keys_.push_back(c.key);
      add(C::kIngested, sample_of(tx.hex(), "a mint the store lacked", claims));
    } else {
      add(C::kUnverified,
          sample_of(tx.hex(), "still being verified when the import stopped waiting", {}));
    }
  }
  gave_up.clear();
  summary_.elapsed_ms = clock.now_ms() - started;
  report_progress();
}

void add_origin_import(OriginImportSummary summary, ReconcileReport& report) {
  const std::uint64_t unverified = summary.of(C::kUnverified).count;
  if (unverified > 0) {
    report.partial_reasons.push_back(
        "import: " + std::to_string(unverified) + " tx hash(es) of " + summary.table +
        " could not be verified (the chain could not be read): nothing was ingested for them; "
        "fix the RPC endpoint and run the import again (what it ingested is already_known "
        "then)");
  }
  if (summary.unsettled > 0) {
    report.partial_reasons.push_back(
        "import: " + std::to_string(summary.unsettled) +
        " ingested claim(s) not settled in the sink yet: they stay due; the node's replicator "
        "(claimsync run) settles them");
  }
  report.origin_import = std::move(summary);
}

}  // namespace claimsync::node
