// ScanProgress: the follower's throughput figures, logged at a bounded rate during long
// backfills (one `follower_progress` line per interval at most) and read by status and
// metrics.
//
// Rates are measured over the last interval (not since start), so they follow the
// current speed; the ETA is (target - current) / blocks per second.
// Threading: on_range() from the follower's thread; snapshot() from any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>

#include "rpc/clock.hpp"

namespace claimsync::node {

struct ProgressSnapshot {
  std::uint64_t current = 0;  // last block committed
  std::uint64_t target = 0;   // the finality target when it was committed
  double blocks_per_s = 0;
  double claims_per_s = 0;
  std::optional<double> eta_s;     // nullopt until a rate is known (or when caught up: 0)
  std::uint64_t blocks_total = 0;  // since start of this process
  std::uint64_t claims_total = 0;
};

class ScanProgress {
 public:
  // The references must outlive this object. interval_ms <= 0 logs every range.
  explicit ScanProgress(Clock& clock, std::int64_t interval_ms = 10'000);

  // Records that [from, to] was committed with `claims` claims while the target was
  // `target`; logs a line when the interval has passed since the last one.
  void on_range(std::uint64_t from, std::uint64_t to, std::uint64_t claims, std::uint64_t target);

  ProgressSnapshot snapshot() const;

 private:
  void roll_window(std::int64_t now);  // REQUIRES: mu_ held

  Clock& clock_;
  const std::int64_t interval_ms_;
  mutable std::mutex mu_;
  ProgressSnapshot snap_;              // GUARDED_BY(mu_)
  std::int64_t window_start_ms_ = -1;  // GUARDED_BY(mu_); -1: no range yet
  std::uint64_t window_blocks_ = 0;    // GUARDED_BY(mu_)
  std::uint64_t window_claims_ = 0;    // GUARDED_BY(mu_)
};

}  // namespace claimsync::node
