#include "node/alerts/alert_tracker.hpp"

namespace claimsync::node {
namespace {

// One condition evaluated on one report: nullopt when the report does not know.
struct Verdict {
  std::optional<bool> holds;
  std::int64_t for_s = 0;
  std::string summary;
  std::string next;
};

Verdict evaluate(AlertId id, const StatusReport& r, const AlertThresholds& t) {
  Verdict v;
  switch (id) {
    case AlertId::kDeadClaims: {
      const std::uint64_t dead = r.counters.of(store::ClaimState::kDead);
      v.holds = dead > 0;
      v.summary = std::to_string(dead) +
                  " claim(s) dead: replicator.max_attempts spent, not "
                  "in the membership database";
      v.next =
          "find them in the v_failed_claims view (or claimsync claims list --state dead "
          "with the node stopped), fix the cause in the database, then: claimsync claims "
          "retry KEY";
      break;
    }
    case AlertId::kPendingTooOld: {
      // No pending claim at all is a known "no", not an unknown.
      const std::int64_t age = r.oldest_pending_age_s.value_or(0);
      v.holds = age > t.pending_age_s;
      v.summary = "the oldest pending claim waits " + std::to_string(age) + " s (alert above " +
                  std::to_string(t.pending_age_s) + " s)";
      v.next =
          "check claimsync status: db.error says whether the membership database refuses "
          "or is unreachable; claims wait in the outbox and are not lost";
      break;
    }
    case AlertId::kBlocksBehind: {
      const std::optional<std::uint64_t> lag = r.lag_blocks();
      if (lag) v.holds = *lag > t.blocks_behind;
      v.for_s = t.behind_for_s;
      v.summary = "the follower is " + (lag ? std::to_string(*lag) : std::string("?")) +
                  " blocks behind its target for " + std::to_string(t.behind_for_s) +
                  " s or more (alert above " + std::to_string(t.blocks_behind) + ")";
      v.next =
          "check the RPC endpoints (rpc errors in the log, chain.rpc_urls); a first "
          "backfill is expected to lag until it is done";
      break;
    }
    case AlertId::kSinkUnreachable:
      if (r.db_reachable) v.holds = !*r.db_reachable;
      v.for_s = t.sink_down_for_s;
      v.summary = "the membership database is unreachable" +
                  (r.db_error.empty() ? std::string() : ": " + r.db_error);
      v.next =
          "check that the database is running and reachable at sink.url; claims wait in "
          "the outbox and spend no attempts";
      break;
    case AlertId::kRpcUnreachable:
      if (r.rpc_reachable) v.holds = !*r.rpc_reachable;
      v.for_s = t.rpc_down_for_s;
      v.summary = "no RPC endpoint answers" +
                  (r.follower_error.empty() ? std::string() : ": " + r.follower_error);
      v.next =
          "check chain.rpc_urls, the endpoints' status and API keys; the node resumes by "
          "itself when one answers";
      break;
  }
  return v;
}

}  // namespace

const char* alert_name(AlertId id) {
  switch (id) {
    case AlertId::kDeadClaims: return "ClaimsyncDeadClaims";
    case AlertId::kPendingTooOld: return "ClaimsyncPendingTooOld";
    case AlertId::kBlocksBehind: return "ClaimsyncBlocksBehind";
    case AlertId::kSinkUnreachable: return "ClaimsyncSinkUnreachable";
    case AlertId::kRpcUnreachable: return "ClaimsyncRpcUnreachable";
  }
  return "?";
}

std::vector<AlertChange> AlertTracker::observe(const StatusReport& report, std::int64_t now_ms) {
  std::vector<AlertChange> changes;
  for (std::size_t i = 0; i < kAlertCount; ++i) {
    const auto id = static_cast<AlertId>(i);
    Slot& slot = slots_[i];
    const Verdict v = evaluate(id, report, thresholds_);
    if (!v.holds) continue;  // unknown: no start, no end
    if (!*v.holds) {
      slot.holding_since_ms.reset();
      if (slot.firing) {
        slot.firing = false;
        slot.last = {id, false, "resolved: " + slot.last.summary, "none", now_ms};
        changes.push_back(slot.last);
      }
      continue;
    }
    if (!slot.holding_since_ms) slot.holding_since_ms = now_ms;
    if (slot.firing) {
      slot.last.summary = v.summary;  // fresh figures for a later re-send
      continue;
    }
    if (now_ms - *slot.holding_since_ms >= v.for_s * 1000) {
      slot.firing = true;
      slot.last = {id, true, v.summary, v.next, now_ms};
      changes.push_back(slot.last);
    }
  }
  return changes;
}

AlertChange AlertTracker::current(AlertId id) const {
  const Slot& slot = slots_[static_cast<std::size_t>(id)];
  AlertChange c = slot.last;
  c.id = id;
  c.firing = slot.firing;
  return c;
}

}  // namespace claimsync::node
