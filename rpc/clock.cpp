#include "rpc/clock.hpp"

#include <algorithm>

namespace claimsync {

void StopFlag::request_stop() {
  stop_.store(true, std::memory_order_release);
  notify();
}

void StopFlag::notify() const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++generation_;
    wake_all_locked();
  }
  cv_.notify_all();
}

// Lock order: StopFlag::mu_ before Wakeup::mu_ (a Wakeup never takes the flag's lock while
// holding its own), and a Wakeup detaches under the flag's lock, so none is used after its
// destruction.
void StopFlag::wake_all_locked() const {
  for (Wakeup* w : wakeups_) w->notify();
}

void StopFlag::attach(Wakeup* w) const {
  std::lock_guard<std::mutex> lock(mu_);
  wakeups_.push_back(w);
}

void StopFlag::detach(Wakeup* w) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase(wakeups_, w);
}

Wakeup::Wakeup(const StopFlag& stop) : stop_(stop) { stop_.attach(this); }

Wakeup::~Wakeup() { stop_.detach(this); }

void Wakeup::notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++generation_;
  }
  cv_.notify_all();
}

std::uint64_t Wakeup::token() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

bool Wakeup::wait_for_ms(std::int64_t ms, std::uint64_t token) const {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms > 0 ? ms : 0),
               [&] { return stop_.stop_requested() || generation_ != token; });
  return stop_.stop_requested();
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

std::int64_t SystemClock::monotonic_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

bool SystemClock::sleep_ms(std::int64_t ms, const StopFlag& stop) { return stop.wait_for_ms(ms); }

bool SystemClock::sleep_ms(std::int64_t ms, const Wakeup& wake, std::uint64_t token) {
  return wake.wait_for_ms(ms, token);
}

}  // namespace claimsync
