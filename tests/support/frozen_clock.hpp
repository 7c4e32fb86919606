// FrozenClock: a Clock whose time moves only when the test advances it and whose sleeps
// really block, unlike ManualClock (whose sleeps advance time at once). A sleep ends when
// the test advances time past its end, on a Wakeup's notify (sleep_ms with a token), on stop,
// or, so a broken test fails instead of hanging, after a real-time cap. Tests use it to
// prove that something happened WITHOUT a poll interval elapsing: time stands still, so
// only a wake-up can have ended the sleep.
//
// Thread-safe: workers sleep on their threads while the test thread inspects and advances.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "rpc/clock.hpp"

namespace claimsync::testing {

class FrozenClock final : public Clock {
 public:
  explicit FrozenClock(std::int64_t start_ms = 1'700'000'000'000,
                       std::chrono::milliseconds real_cap = std::chrono::seconds(30))
      : now_(start_ms), cap_(real_cap) {}

  std::int64_t now_ms() override { return now_.load(); }
  bool sleep_ms(std::int64_t ms, const StopFlag& stop) override;
  bool sleep_ms(std::int64_t ms, const Wakeup& wake, std::uint64_t token) override;

  void advance_ms(std::int64_t ms) { now_ += ms; }
  int sleepers() const { return sleepers_.load(); }  // sleeps in progress
  // Sleeps that ended because time reached their end (a poll or backoff elapsed).
  std::uint64_t elapsed_sleeps() const { return elapsed_.load(); }
  // Sleeps that ended by the real-time cap: the test forgot to wake or advance.
  std::uint64_t capped_sleeps() const { return capped_.load(); }

 private:
  // Polls in short real-time slices: `woken(slice)` waits up to a slice for a wake-up.
  template <typename Woken>
  bool sleep_until(std::int64_t end_ms, const StopFlag& stop, Woken woken);

  std::atomic<std::int64_t> now_;
  std::chrono::milliseconds cap_;
  std::atomic<int> sleepers_{0};
  std::atomic<std::uint64_t> elapsed_{0};
  std::atomic<std::uint64_t> capped_{0};
};

}  // namespace claimsync::testing
