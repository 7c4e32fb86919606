#include "node/reconcile/reconcile_repair.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "node/reconcile/reconcile_repair_plan.hpp"
#include "node/reconcile/replicator_drive.hpp"
#include "rpc/logging.hpp"

namespace claimsync::node {
namespace {

using store::Claim;
using store::ClaimKey;
using store::ClaimState;

constexpr std::size_t kHeaderChunk = 500;

// The chain proves `key` is no mint: no such transaction, or one mined up to the pin (the
// sweep of the pinned chain would have found the mint). A receipt that cannot be read
// proves nothing.
bool proven_not_mint(eth::ChainSource& chain, std::uint64_t pin, const ClaimKey& key) {
  Result<std::optional<eth::Receipt>> r = chain.receipt(key.tx_hash);
  if (!r.ok()) return false;
  return !r->has_value() || (*r)->block_number <= pin;
}

// Block times of the mints to ingest, from the pinned chain's headers. kReorg when a
// header's hash is not the one of the mint's log.
Status fill_block_times(eth::ChainSource& chain, std::vector<Claim>& claims) {
  std::set<std::uint64_t> wanted;
  for (const Claim& c : claims) wanted.insert(c.block_number);
  std::map<std::uint64_t, eth::BlockHeader> by_number;
  std::vector<std::uint64_t> all(wanted.begin(), wanted.end());
  for (std::size_t i = 0; i < all.size(); i += kHeaderChunk) {
    std::vector<std::uint64_t> chunk(
        all.begin() + static_cast<std::ptrdiff_t>(i),
        all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), i + kHeaderChunk)));
    Result<std::vector<eth::BlockHeader>> got = chain.headers(chunk);
    if (!got.ok()) return got.status().with_context("headers of the mints to ingest");
    for (const eth::BlockHeader& h : *got) by_number[h.number] = h;
  }
  for (Claim& c : claims) {
    auto it = by_number.find(c.block_number);
    if (it == by_number.end()) {
      return error(ErrorCode::kBadResponse,
                   "no header for block " + std::to_string(c.block_number));
    }
    if (it->second.hash != c.block_hash) {
      return error(ErrorCode::kReorg, "block " + std::to_string(c.block_number) + " is now " +
                                          it->second.hash.hex() + ", the mint's log was in " +
                                          c.block_hash.hex() + ": run reconcile again");
    }
    c.block_time = it->second.timestamp;
  }
  return {};
}

void refuse(RepairSummary& r, std::string why) {
  r.refused = true;
  r.refused_reason = std::move(why);
  log_error("reconcile_repair_refused",
            {{"reason", r.refused_reason},
             {"next", "nothing was changed; check the samples, the RPC endpoint and sink.url"}});
}

}  // namespace

void run_repair(eth::ChainSource& chain, store::NodeStore& store, store::MembershipSink& sink,
                const ReconcileInputs& in, const RepairOptions& options, Clock& clock,
                ReconcileReport& report, const std::function<void(const std::string&)>& progress) {
  RepairSummary& r = report.repair.emplace();
  r.max_fraction = options.max_fraction;
  if (!report.complete() || !in.pin || !in.chain_claims || !in.sink) {
    r.refused_reason = "the report is partial: nothing is repaired without a full comparison";
    return;  // exit 2 already says it
  }
  if (report.differences() == 0) return;
  const std::uint64_t pin = *in.pin;
  RepairPlan plan =
      plan_repair(in, [&](const ClaimKey& key) { return proven_not_mint(chain, pin, key); });
  r.compared = plan.compared;
  r.left = plan.left.size();
  for (std::size_t i = 0; i < plan.left.size() && i < report.sample_limit; ++i)
    r.left_samples.push_back(plan.left[i]);
  if (!repair_within_threshold(report.differences(), plan.compared, options.max_fraction)) {
    refuse(r, std::to_string(report.differences()) + " difference(s) among " +
                  std::to_string(plan.compared) +
                  " claim(s) compared exceed reconcile.max_repair_fraction = " +
                  std::to_string(options.max_fraction) +
                  " (a lying or lagging RPC endpoint, or the wrong database?)");
    return;
  }
  if (Status st = fill_block_times(chain, plan.ingest); !st.ok()) {
    refuse(r, "mints to ingest: " + st.to_string());
    return;
  }

  std::vector<ClaimKey> keys;
  const std::int64_t now = clock.now_ms();
  for (const Claim& c : plan.ingest) {
    Result<store::IngestOutcome> got = store.ingest(c, now);
    if (!got.ok()) {
      report.partial_reasons.push_back("repair: ingest of " + c.key.to_string() + ": " +
                                       got.status().to_string());
      return;
    }
    ++r.ingested;
    keys.push_back(c.key);
  }
  for (auto [op, claims, count] : {std::tuple{store::SinkOp::kApply, &plan.reapply, &r.reapplied},
                                   std::tuple{store::SinkOp::kRevoke, &plan.revoke, &r.revoked}}) {
    if (claims->empty()) continue;
    Result<store::RequeueOutcome> got = store.requeue_for_repair(op, *claims, now);
    if (!got.ok()) {
      report.partial_reasons.push_back("repair: store: " + got.status().to_string());
      return;
    }
    *count = got->requeued;
    for (const Claim& c : *claims) keys.push_back(c.key);
    for (const ClaimKey& k : got->skipped_keys) {
      ++r.left;
      if (r.left_samples.size() < report.sample_limit)
        r.left_samples.push_back(
            {"", 0, "", "skipped by the store (state moved)", k.to_string(), {}});
    }
  }
  log_warn("reconcile_repair_started", {{"ingested", r.ingested},
                                        {"reapplied", r.reapplied},
                                        {"revoked", r.revoked},
                                        {"next", "the replicator writes them to the sink"}});

  // The replicator, as inside `run`, until the repaired claims settle (bounded by wait_ms).
  DriveOptions drive;
  drive.wait_ms = options.wait_ms;
  drive.progress_every_ms = options.progress_every_ms;
  drive.label = "reconcile repair";
  drive.replicator = options.replicator;
  const DriveResult settled = drive_replicator(store, sink, keys, drive, clock, progress);
  const std::uint64_t unsettled = settled.unsettled;
  r.unsettled = unsettled;
  r.settled = settled.settled;
  if (unsettled > 0) {
    report.partial_reasons.push_back(
        "repair: " + std::to_string(unsettled) + " claim(s) not settled in the sink within " +
        std::to_string(options.wait_ms / 1000) +
        " s: they stay due; the node's replicator settles them when it runs");
  }
}

}  // namespace claimsync::node
