#include "node/reconcile/replicator_drive.hpp"

#include <algorithm>

#include "node/replicator.hpp"

namespace claimsync::node {
namespace {

constexpr std::int64_t kMaxIdleSleepMs = 200;

bool settled_state(store::ClaimState s) {
  return s != store::ClaimState::kPending && s != store::ClaimState::kRetrying &&
         s != store::ClaimState::kRevoking;
}

std::uint64_t count_unsettled(const store::NodeStore& store,
                              const std::vector<store::ClaimKey>& keys) {
  std::uint64_t n = 0;
  for (const store::ClaimKey& k : keys) {
    const std::optional<store::Claim> c = store.get(k);
    if (c && !settled_state(c->state)) ++n;
  }
  return n;
}

}  // namespace

DriveResult drive_replicator(store::NodeStore& store, store::MembershipSink& sink,
                             const std::vector<store::ClaimKey>& keys, const DriveOptions& options,
                             Clock& clock,
                             const std::function<void(const std::string&)>& progress) {
  Replicator replicator(store, sink, clock, options.replicator);
  StopFlag never;
  const std::int64_t deadline = clock.now_ms() + options.wait_ms;
  std::int64_t next_progress = clock.now_ms() + options.progress_every_ms;
  std::uint64_t unsettled = count_unsettled(store, keys);
  while (unsettled > 0 && clock.now_ms() < deadline) {
    const StepResult step = replicator.step();
    const std::int64_t t = clock.now_ms();
    if (step.kind != StepKind::kReplicated) {
      const std::int64_t until = std::min(step.wake_at_ms.value_or(t + kMaxIdleSleepMs), deadline);
      clock.sleep_ms(std::clamp<std::int64_t>(until - t, 1, kMaxIdleSleepMs), never);
    }
    unsettled = count_unsettled(store, keys);
    if (clock.now_ms() >= next_progress) {
      next_progress = clock.now_ms() + options.progress_every_ms;
      const ReplicatorStatus rs = replicator.status();
      progress(options.label + ": " + std::to_string(keys.size() - unsettled) + "/" +
               std::to_string(keys.size()) + " settled" +
               (rs.paused ? ", sink paused: " + rs.last_error : std::string()));
    }
  }
  DriveResult out{keys.size() - unsettled, unsettled};
  progress(options.label + ": " + std::to_string(out.settled) + "/" + std::to_string(keys.size()) +
           " settled");
  return out;
}

}  // namespace claimsync::node
