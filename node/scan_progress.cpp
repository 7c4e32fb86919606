#include "node/scan_progress.hpp"

#include "rpc/logging.hpp"

namespace claimsync::node {

ScanProgress::ScanProgress(Clock& clock, std::int64_t interval_ms)
    : clock_(clock), interval_ms_(interval_ms) {}

void ScanProgress::on_range(std::uint64_t from, std::uint64_t to, std::uint64_t claims,
                            std::uint64_t target) {
  const std::int64_t now = clock_.now_ms();
  std::lock_guard<std::mutex> lock(mu_);
  if (window_start_ms_ < 0) window_start_ms_ = now;
  const std::uint64_t blocks = to >= from ? to - from + 1 : 0;
  window_blocks_ += blocks;
  window_claims_ += claims;
  snap_.blocks_total += blocks;
  snap_.claims_total += claims;
  snap_.current = to;
  snap_.target = target;
  if (now - window_start_ms_ < interval_ms_) return;
  roll_window(now);
  log_info("follower_progress",
           {{"current", snap_.current},
            {"target", snap_.target},
            {"behind", snap_.target > snap_.current ? snap_.target - snap_.current : 0},
            {"blocks_per_s", snap_.blocks_per_s},
            {"claims_per_s", snap_.claims_per_s},
            {"eta_s", snap_.eta_s ? *snap_.eta_s : -1.0},
            {"claims_total", snap_.claims_total}});
}

void ScanProgress::roll_window(std::int64_t now) {
  const double seconds = static_cast<double>(now - window_start_ms_) / 1000.0;
  if (seconds > 0) {
    snap_.blocks_per_s = static_cast<double>(window_blocks_) / seconds;
    snap_.claims_per_s = static_cast<double>(window_claims_) / seconds;
  }
  const std::uint64_t behind = snap_.target > snap_.current ? snap_.target - snap_.current : 0;
  if (behind == 0) {
    snap_.eta_s = 0.0;
  } else if (snap_.blocks_per_s > 0) {
    snap_.eta_s = static_cast<double>(behind) / snap_.blocks_per_s;
  } else {
    snap_.eta_s.reset();
  }
  window_start_ms_ = now;
  window_blocks_ = 0;
  window_claims_ = 0;
}

ProgressSnapshot ScanProgress::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snap_;
}

}  // namespace claimsync::node
