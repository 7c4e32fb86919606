// MembershipWatcher: samples the number of membership rows while a guarantee test runs, on
// its own thread, and checks that the count never goes down inside the windows the test
// marks as "no row may disappear" (e.g. a lagging endpoint and no reorg: nothing is
// revoked, so any drop is a false reorg).
//
//   MembershipWatcher watcher(pg, 100ms);          // starts sampling
//   watcher.begin_monotonic("lag phase");
//   ...                                             // faults that must not delete rows
//   watcher.end_monotonic();
//   watcher.stop();
//   for (auto& v : watcher.violations()) FAIL_CHECK(v);
//
// A sample that fails (PostgreSQL stopped, a lock) is skipped and counted. A window's
// baseline is the first sample taken after begin_monotonic(); every later sample of the
// window is compared with the highest count seen so far in it. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/pg_cluster.hpp"

namespace claimsync::testing {

struct WatcherSample {
  double at_s = 0;  // since the watcher started
  std::int64_t rows = 0;
  std::string window;  // the monotonic window it fell in, "" outside
};

class MembershipWatcher {
 public:
  MembershipWatcher(const PgCluster& pg, std::chrono::milliseconds interval);
  ~MembershipWatcher();  // stop()
  MembershipWatcher(const MembershipWatcher&) = delete;
  MembershipWatcher& operator=(const MembershipWatcher&) = delete;

  void begin_monotonic(const std::string& name);
  void end_monotonic();
  void stop();  // joins the thread; idempotent

  // "window 'lag phase': membership rows went from 812 down to 790 at 41.3 s" (one per
  // drop, at most 20), empty when every window held.
  std::vector<std::string> violations() const;
  std::size_t samples() const;
  std::size_t samples_in_windows() const;
  std::size_t failed_samples() const;
  // Samples of the windows, condensed ("window: first..max rows over N samples").
  std::string summary() const;

 private:
  void loop();
  std::optional<std::int64_t> sample_rows() const;

  const PgCluster& pg_;
  const std::chrono::milliseconds interval_;
  const std::chrono::steady_clock::time_point t0_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                // GUARDED_BY(mu_)
  std::string window_;                   // GUARDED_BY(mu_)
  std::optional<std::int64_t> high_;     // GUARDED_BY(mu_): highest count in the window
  std::vector<WatcherSample> samples_;   // GUARDED_BY(mu_)
  std::vector<std::string> violations_;  // GUARDED_BY(mu_)
  std::size_t failed_ = 0;               // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace claimsync::testing
