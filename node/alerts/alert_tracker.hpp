// AlertTracker: the built-in notifier's conditions over the node's StatusReport, the same
// ones deploy/prometheus/claimsync-rules.yml writes over /metrics, for deployments
// without Prometheus (issue 15). A pure state machine: reports and times in, changes out;
// no clock, no I/O, so tests drive it step by step.
//
// Conditions (names as the Prometheus alerts):
//   ClaimsyncDeadClaims       a claim is dead (gave up after replicator.max_attempts)
//   ClaimsyncPendingTooOld    the oldest pending claim is older than pending_age_s
//   ClaimsyncBlocksBehind     more than blocks_behind blocks behind for behind_for_s
//   ClaimsyncSinkUnreachable  the membership database unreachable for sink_down_for_s
//   ClaimsyncRpcUnreachable   no RPC endpoint answers for rpc_down_for_s
// A condition fires when it has held for its duration in every report since it began,
// and clears at the first report where it no longer holds. Unknown figures (null in the
// report, e.g. no head seen yet) neither start nor end a condition.
//
// Threading: not thread-safe; one owner.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "node/status_report.hpp"

namespace claimsync::node {

struct AlertThresholds {
  std::int64_t pending_age_s = 600;
  std::uint64_t blocks_behind = 50;
  std::int64_t behind_for_s = 900;
  std::int64_t sink_down_for_s = 300;
  std::int64_t rpc_down_for_s = 300;
};

enum class AlertId {
  kDeadClaims,
  kPendingTooOld,
  kBlocksBehind,
  kSinkUnreachable,
  kRpcUnreachable
};
inline constexpr std::size_t kAlertCount = 5;

const char* alert_name(AlertId id);  // "ClaimsyncDeadClaims", ...

// One change of a condition: it started (firing) or ended (resolved).
struct AlertChange {
  AlertId id = AlertId::kDeadClaims;
  bool firing = false;
  std::string summary;     // what is wrong, with the figures of the report that decided
  std::string next;        // what the operator should do (resolved: "none")
  std::int64_t at_ms = 0;  // the report's time
};

class AlertTracker {
 public:
  explicit AlertTracker(AlertThresholds thresholds) : thresholds_(thresholds) {}

  // Feeds one report taken at `now_ms` (non-decreasing). Returns the conditions that
  // started or ended with it, in AlertId order.
  std::vector<AlertChange> observe(const StatusReport& report, std::int64_t now_ms);

  bool firing(AlertId id) const { return slots_[static_cast<std::size_t>(id)].firing; }
  // The change that describes `id` as it stands now (firing with its last summary, or
  // resolved), for a notifier that must tell a receiver the current state.
  AlertChange current(AlertId id) const;

 private:
  struct Slot {
    std::optional<std::int64_t> holding_since_ms;  // the condition holds since
    bool firing = false;
    AlertChange last;
  };
  AlertThresholds thresholds_;
  std::array<Slot, kAlertCount> slots_{};
};

}  // namespace claimsync::node
