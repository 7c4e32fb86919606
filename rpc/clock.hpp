// Clock: the only way logic reads time or waits. Production uses SystemClock; tests
// inject a ManualClock so backoff, due times and timeouts are deterministic.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace claimsync {

// Set by a signal handler or a test; waits return early once it is set.
class StopFlag {
 public:
  void request_stop();
  bool stop_requested() const { return stop_.load(std::memory_order_acquire); }
  // Waits up to `ms` (real time) or until request_stop(); returns stop_requested().
  bool wait_for_ms(std::int64_t ms) const;
  // Wakes waiters without stopping (e.g. a hint arrived). Cheap.
  void notify() const;

 private:
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  mutable std::uint64_t generation_ = 0;  // GUARDED_BY(mu_)
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t now_ms() = 0;  // unix epoch milliseconds
  // Sleeps `ms` or until `stop` is requested (or notified). Returns true if stop requested.
  virtual bool sleep_ms(std::int64_t ms, const StopFlag& stop) = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_ms() override;
  bool sleep_ms(std::int64_t ms, const StopFlag& stop) override;
};

// Time moves only when a test says so; sleep_ms advances the clock instantly.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  std::int64_t now_ms() override { return now_.load(); }
  bool sleep_ms(std::int64_t ms, const StopFlag& stop) override {
    now_ += ms;
    return stop.stop_requested();
  }
  void advance_ms(std::int64_t ms) { now_ += ms; }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace claimsync
