#include "tests/support/frozen_clock.hpp"

namespace claimsync::testing {

template <typename Woken>
bool FrozenClock::sleep_until(std::int64_t end_ms, const StopFlag& stop, Woken woken) {
  ++sleepers_;
  const auto real_deadline = std::chrono::steady_clock::now() + cap_;
  constexpr std::int64_t kSliceMs = 2;
  while (true) {
    if (stop.stop_requested() || woken(0)) break;
    if (now_.load() >= end_ms) {
      ++elapsed_;
      break;
    }
    if (std::chrono::steady_clock::now() >= real_deadline) {
      ++capped_;
      break;
    }
    if (woken(kSliceMs)) break;
  }
  --sleepers_;
  return stop.stop_requested();
}

bool FrozenClock::sleep_ms(std::int64_t ms, const StopFlag& stop) {
  // Only the stop or time ends it (a StopFlag has no token to tell a notify by).
  return sleep_until(now_.load() + ms, stop, [&](std::int64_t slice) {
    if (slice > 0) stop.wait_for_ms(slice);
    return false;
  });
}

bool FrozenClock::sleep_ms(std::int64_t ms, const Wakeup& wake, std::uint64_t token) {
  return sleep_until(now_.load() + ms, wake.stop(), [&](std::int64_t slice) {
    if (slice > 0) wake.wait_for_ms(slice, token);
    return wake.token() != token;
  });
}

}  // namespace claimsync::testing
