#include "node/api/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace claimsync::node {

RateLimiter::RateLimiter(std::uint32_t per_s, std::uint32_t burst, std::size_t max_clients)
    : per_s_(per_s),
      burst_(std::max<std::uint32_t>(burst, 1)),
      max_clients_(std::max<std::size_t>(max_clients, 1)) {}

RateDecision RateLimiter::take(const std::string& client, std::int64_t now_ms) {
  if (per_s_ <= 0) return {};
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(client);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_clients_) {
      buckets_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.push_front(client);
    it = buckets_.emplace(client, Bucket{burst_, now_ms, lru_.begin()}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  Bucket& b = it->second;
  const std::int64_t elapsed = std::max<std::int64_t>(now_ms - b.updated_ms, 0);
  b.tokens = std::min(burst_, b.tokens + static_cast<double>(elapsed) * per_s_ / 1000.0);
  b.updated_ms = std::max(b.updated_ms, now_ms);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return {};
  }
  const double wait_s = (1.0 - b.tokens) / per_s_;
  return {false, std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wait_s)))};
}

std::size_t RateLimiter::clients() const {
  std::lock_guard<std::mutex> lock(mu_);
  return buckets_.size();
}

}  // namespace claimsync::node
