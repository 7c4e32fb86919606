// Clock: the only way logic reads time or waits. Production uses SystemClock; tests
// inject a ManualClock so backoff, due times and timeouts are deterministic.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

namespace claimsync {

class Wakeup;

// Set by a signal handler or a test; waits return early once it is set.
class StopFlag {
 public:
  StopFlag() = default;
  StopFlag(const StopFlag&) = delete;
  StopFlag& operator=(const StopFlag&) = delete;

  // Also ends the sleep of every Wakeup that watches this flag.
  void request_stop();
  bool stop_requested() const { return stop_.load(std::memory_order_acquire); }
  // Waits up to `ms` (real time) or until request_stop(); returns stop_requested().
  bool wait_for_ms(std::int64_t ms) const;
  // Wakes every waiter, on this flag and on its Wakeups, without stopping. Cheap.
  void notify() const;

 private:
  friend class Wakeup;
  void attach(Wakeup* w) const;
  void detach(Wakeup* w) const;
  void wake_all_locked() const;  // REQUIRES: mu_ held

  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  mutable std::uint64_t generation_ = 0;  // GUARDED_BY(mu_)
  mutable std::vector<Wakeup*> wakeups_;  // GUARDED_BY(mu_)
};

// Wakeup: "look now" for one worker thread (new claims for the replicator, a new head for
// the follower), never lost. The worker takes token() BEFORE it looks for work and sleeps
// with that token (Clock::sleep_ms(ms, wake, token)): a notify() that came after the token
// ends the sleep at once, even one that came while the worker was still looking, so a
// wake-up racing the worker's check costs nothing instead of a whole poll interval.
// Stopping (or notifying) the StopFlag it watches ends its sleeps too.
//
// Thread-safety: notify() from any thread; token() and waits from the worker.
// REQUIRES: `stop` outlives the Wakeup.
class Wakeup {
 public:
  explicit Wakeup(const StopFlag& stop);
  ~Wakeup();
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;

  void notify();
  std::uint64_t token() const;
  const StopFlag& stop() const { return stop_; }
  // Waits up to `ms` (real time) until a notify() after `token` or a stop; returns
  // stop_requested(). Returns at once if that already happened.
  bool wait_for_ms(std::int64_t ms, std::uint64_t token) const;

 private:
  const StopFlag& stop_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::uint64_t generation_ = 0;  // GUARDED_BY(mu_)
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t now_ms() = 0;  // unix epoch milliseconds
  // Microseconds on a monotonic scale, only for measuring durations (metrics): not an
  // epoch, never goes back. The default follows now_ms(), so test clocks drive it too.
  virtual std::int64_t monotonic_us() { return now_ms() * 1000; }
  // Sleeps `ms` or until `stop` is requested (or notified). Returns true if stop requested.
  virtual bool sleep_ms(std::int64_t ms, const StopFlag& stop) = 0;
  // Sleeps `ms` or until `wake` was notified after `token` (see Wakeup) or its StopFlag
  // stops. Returns true if stop requested.
  virtual bool sleep_ms(std::int64_t ms, const Wakeup& wake, std::uint64_t token) = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_ms() override;
  std::int64_t monotonic_us() override;  // std::chrono::steady_clock
  bool sleep_ms(std::int64_t ms, const StopFlag& stop) override;
  bool sleep_ms(std::int64_t ms, const Wakeup& wake, std::uint64_t token) override;
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
  // A pending wake-up ends the sleep without moving time.
  bool sleep_ms(std::int64_t ms, const Wakeup& wake, std::uint64_t token) override {
    if (wake.token() == token && !wake.stop().stop_requested()) now_ += ms;
    return wake.stop().stop_requested();
  }
  void advance_ms(std::int64_t ms) { now_ += ms; }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace claimsync
