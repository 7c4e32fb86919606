// ReplayCache: a hash index for lookups plus a time-ordered index for eviction; the hash
// index points into the time index so both stay O(log n) per change.
#include "node/webhooks/replay_cache.hpp"

#include <stdexcept>

namespace claimsync::node {

namespace {

// (provider, key) as one string; the length prefix keeps ("ab", "c") apart from ("a", "bc").
std::string composite_key(std::string_view provider, std::string_view key) {
  std::string k = std::to_string(provider.size());
  k.append(":").append(provider).append(key);
  return k;
}

}  // namespace

ReplayCache::ReplayCache(std::size_t capacity, std::int64_t window_ms)
    : capacity_(capacity), window_ms_(window_ms) {
  if (capacity == 0) throw std::invalid_argument("ReplayCache capacity must be positive");
  if (window_ms <= 0) throw std::invalid_argument("ReplayCache window_ms must be positive");
}

void ReplayCache::erase_locked(ByTime::iterator it) {
  seen_.erase(it->second);
  by_time_.erase(it);
}

bool ReplayCache::first_sighting(std::string_view provider, std::string_view key,
                                 std::int64_t now_ms) {
  std::string k = composite_key(provider, key);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto found = seen_.find(k); found != seen_.end()) {
    if (now_ms - found->second->first < window_ms_) return false;
    erase_locked(found->second);  // expired: this is a new sighting
  }
  if (seen_.size() >= capacity_) {
    // Expired entries are the oldest, so they sit at the front of by_time_.
    while (!by_time_.empty() && now_ms - by_time_.begin()->first >= window_ms_)
      erase_locked(by_time_.begin());
    if (seen_.size() >= capacity_) erase_locked(by_time_.begin());
  }
  auto it = by_time_.emplace(now_ms, k);
  seen_.emplace(std::move(k), it);
  return true;
}

void ReplayCache::forget(std::string_view provider, std::string_view key) {
  const std::string k = composite_key(provider, key);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto found = seen_.find(k); found != seen_.end()) erase_locked(found->second);
}

std::size_t ReplayCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seen_.size();
}

}  // namespace claimsync::node
