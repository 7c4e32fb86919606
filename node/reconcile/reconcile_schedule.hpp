// ReconcileSchedule: a running node's reconcile runs (issue 14), one at a time: those of
// POST /v1/admin/reconcile (try_run, trigger "admin") and, with reconcile.interval_s > 0,
// one every interval on a thread of the caller's (run_every, trigger "scheduled"). Each
// run is the read-only `claimsync reconcile` run (the RunFn), at `finalized` when
// scheduled; after it, `on_done` gets its summary (the daemon: metrics and the store's
// note) and one log line says the result, the differences, the time and what to do next.
//
//   * One at a time: a scheduled run due while an admin run goes is skipped (logged; the
//     next one is an interval later), and an admin request during a scheduled run gets
//     nullopt from try_run (the API answers 409 reconcile_running).
//   * The next scheduled run is due `interval` after the end of the last run of either
//     kind, the one before the node started included (`last_finished_ms`), so a restart
//     does not postpone it and runs never pile up.
//   * Never blocks sync: it runs on its own thread, with its own chain client and sink
//     connection (the RunFn's); a run is bounded by their timeouts and cancelled by the
//     stop (the StopFlag the RunFn's clients watch). run_every returns promptly on stop.
//
// Threading: try_run from any thread; run_every on one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "node/reconcile/reconcile_report.hpp"
#include "node/reconcile/reconcile_summary.hpp"
#include "rpc/clock.hpp"

namespace claimsync::node {

class ReconcileSchedule {
 public:
  using RunFn = std::function<ReconcileReport(const std::string& at, std::size_t samples)>;
  using DoneFn = std::function<void(const ReconcileSummary&)>;

  // `interval_s` 0: no scheduled runs (try_run still guards the admin runs).
  ReconcileSchedule(RunFn run, DoneFn on_done, Clock& clock, std::int64_t interval_s,
                    std::optional<std::int64_t> last_finished_ms = std::nullopt);
  ReconcileSchedule(const ReconcileSchedule&) = delete;
  ReconcileSchedule& operator=(const ReconcileSchedule&) = delete;

  // Runs now, unless another run is going: nullopt then.
  std::optional<ReconcileReport> try_run(const std::string& at, std::size_t samples,
                                         const std::string& trigger);

  // The scheduled runs, until `stop` (a thread body). Returns at once when interval_s is 0.
  void run_every(const StopFlag& stop);

  std::int64_t interval_ms() const { return interval_ms_; }
  // Scheduled runs skipped because another run was going.
  std::uint64_t skipped() const { return skipped_.load(); }

 private:
  RunFn run_;
  DoneFn on_done_;
  Clock& clock_;
  const std::int64_t interval_ms_;
  std::mutex run_mu_;                             // held for the whole of a run: one at a time
  std::mutex last_mu_;                            // guards last_finished_ms_
  std::optional<std::int64_t> last_finished_ms_;  // GUARDED_BY(last_mu_)
  std::atomic<std::uint64_t> skipped_{0};
};

}  // namespace claimsync::node
