#include "rpc/backoff.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <string>

namespace claimsync {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::int64_t> parse_delay_seconds(std::string_view s) {
  if (s.empty() || s.size() > 12) return std::nullopt;
  std::int64_t seconds = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), seconds);
  if (ec != std::errc() || end != s.data() + s.size() || seconds < 0) return std::nullopt;
  return seconds * 1000;
}

// IMF-fixdate, the only HTTP-date form senders may generate (RFC 9110 §5.6.7).
std::optional<std::int64_t> parse_http_date_ms(std::string_view s) {
  std::string text(s);
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return static_cast<std::int64_t>(t) * 1000;
}

}  // namespace

std::int64_t backoff_ceiling_ms(std::uint32_t attempt, const BackoffPolicy& policy) {
  const std::int64_t initial = std::max<std::int64_t>(policy.initial_ms, 1);
  const std::int64_t max = std::max(policy.max_ms, initial);
  std::int64_t ceiling = initial;
  for (std::uint32_t i = 0; i < attempt && ceiling < max; ++i) ceiling = std::min(max, ceiling * 2);
  return ceiling;
}

std::int64_t full_jitter_delay(std::uint32_t attempt, const BackoffPolicy& policy,
                               std::mt19937_64& rng) {
  std::uniform_int_distribution<std::int64_t> pick(0, backoff_ceiling_ms(attempt, policy));
  return pick(rng);
}

std::optional<std::int64_t> parse_retry_after_ms(std::string_view value, std::int64_t now_ms,
                                                 std::int64_t cap_ms) {
  value = trim(value);
  std::optional<std::int64_t> delay = parse_delay_seconds(value);
  if (!delay) {
    if (auto at = parse_http_date_ms(value)) delay = *at - now_ms;
  }
  if (!delay) return std::nullopt;
  return std::clamp<std::int64_t>(*delay, 0, std::max<std::int64_t>(cap_ms, 0));
}

}  // namespace claimsync
