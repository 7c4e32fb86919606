// Backoff: exponential backoff with full jitter, and the HTTP Retry-After header.
//
// Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): the delay before
// retry `attempt` (0-based) is uniform in [0, min(max_ms, initial_ms * 2^attempt)]. It
// spreads retries of many clients apart and keeps the expected wait half the ceiling.
// Deterministic for a given RNG state, so tests seed the RNG and inject a ManualClock.
// Nothing here sleeps: callers wait with Clock::sleep_ms.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

namespace claimsync {

struct BackoffPolicy {
  std::int64_t initial_ms = 200;  // ceiling of the first delay (>= 1 enforced)
  std::int64_t max_ms = 10'000;   // ceiling of every delay (>= initial_ms enforced)
};

// min(max_ms, initial_ms * 2^attempt), without overflow for any attempt.
std::int64_t backoff_ceiling_ms(std::uint32_t attempt, const BackoffPolicy& policy);

// Uniform in [0, backoff_ceiling_ms(attempt, policy)].
std::int64_t full_jitter_delay(std::uint32_t attempt, const BackoffPolicy& policy,
                               std::mt19937_64& rng);

// Parses a Retry-After header value: delay-seconds ("120") or an IMF-fixdate HTTP-date
// ("Wed, 21 Oct 2015 07:28:00 GMT", relative to now_ms). Returns the delay in ms, clamped
// to [0, cap_ms]; nullopt when the value is empty or unparseable (then it is ignored).
std::optional<std::int64_t> parse_retry_after_ms(std::string_view value, std::int64_t now_ms,
                                                 std::int64_t cap_ms);

}  // namespace claimsync
