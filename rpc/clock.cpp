#include "rpc/clock.hpp"

namespace claimsync {

void StopFlag::request_stop() {
  stop_.store(true, std::memory_order_release);
  notify();
}

void StopFlag::notify() const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++generation_;
  }
  cv_.notify_all();
}

bool StopFlag::wait_for_ms(std::int64_t ms) const {
  std::unique_lock<std::mutex> lock(mu_);
  const std::uint64_t start = generation_;
  cv_.wait_for(lock, std::chrono::milliseconds(ms > 0 ? ms : 0),
               [&] { return stop_requested() || generation_ != start; });
  return stop_requested();
}

std::int64_t SystemClock::now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bool SystemClock::sleep_ms(std::int64_t ms, const StopFlag& stop) { return stop.wait_for_ms(ms); }

}  // namespace claimsync
