#include "node/reconcile/reconcile_schedule.hpp"

#include <algorithm>

#include "rpc/logging.hpp"

namespace claimsync::node {
namespace {

constexpr std::size_t kScheduledSamples = 10;

std::string next_step(const ReconcileSummary& s, std::int64_t interval_ms) {
  const std::string again =
      interval_ms > 0 ? "the next scheduled run in " + std::to_string(interval_ms / 1000) + " s"
                      : "POST /v1/admin/reconcile again later";
  if (s.result == "consistent") return "nothing to do; " + again;
  if (s.result == "differences") {
    return "look at the samples: POST /v1/admin/reconcile (or claimsync reconcile --json with "
           "the node stopped), then claimsync reconcile --repair with the node stopped";
  }
  return "fix what partial_reason names (RPC, database, a reorg under the pin); " + again +
         " retries";
}

}  // namespace

ReconcileSchedule::ReconcileSchedule(RunFn run, DoneFn on_done, Clock& clock,
                                     std::int64_t interval_s,
                                     std::optional<std::int64_t> last_finished_ms)
    : run_(std::move(run)),
      on_done_(std::move(on_done)),
      clock_(clock),
      interval_ms_(std::max<std::int64_t>(interval_s, 0) * 1000),
      last_finished_ms_(last_finished_ms) {}

std::optional<ReconcileReport> ReconcileSchedule::try_run(const std::string& at,
                                                          std::size_t samples,
                                                          const std::string& trigger) {
  std::unique_lock<std::mutex> lock(run_mu_, std::try_to_lock);
  if (!lock.owns_lock()) return std::nullopt;
  ReconcileReport report = run_(at, samples);
  const std::int64_t now = clock_.now_ms();
  {
    std::lock_guard<std::mutex> l(last_mu_);
    last_finished_ms_ = now;
  }
  const ReconcileSummary s = summarize_reconcile(report, trigger, at, now);
  if (on_done_) on_done_(s);
  const auto log = s.result == "consistent" ? log_info : log_warn;
  log("reconcile_run_done", {{"trigger", s.trigger},
                             {"at", s.at},
                             {"result", s.result},
                             {"differences", s.differences},
                             {"pin_block", s.pin_block ? std::to_string(*s.pin_block) : "none"},
                             {"elapsed_ms", s.elapsed_ms},
                             {"partial_reason", s.partial_reason},
                             {"next", next_step(s, interval_ms_)}});
  return report;
}

void ReconcileSchedule::run_every(const StopFlag& stop) {
  if (interval_ms_ <= 0) return;
  const std::int64_t started_ms = clock_.now_ms();
  // Bounded: each pass sleeps until a run is due (at most one interval) or runs one.
  while (!stop.stop_requested()) {
    std::int64_t due_ms = 0;
    {
      std::lock_guard<std::mutex> l(last_mu_);
      due_ms = last_finished_ms_.value_or(started_ms) + interval_ms_;
    }
    const std::int64_t wait_ms = due_ms - clock_.now_ms();
    if (wait_ms > 0) {
      if (clock_.sleep_ms(std::min(wait_ms, interval_ms_), stop)) return;
      continue;  // re-read: an admin run may have ended meanwhile (the next is due later)
    }
    if (!try_run("finalized", kScheduledSamples, "scheduled")) {
      ++skipped_;
      log_info("reconcile_run_skipped",
               {{"reason", "another reconcile is running (POST /v1/admin/reconcile)"},
                {"next", "the next scheduled run is due an interval after it ends"}});
      // The admin run sets last_finished_ms_ when it ends; until then wait a full interval.
      if (clock_.sleep_ms(interval_ms_, stop)) return;
    }
  }
}

}  // namespace claimsync::node
