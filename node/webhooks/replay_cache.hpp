// ReplayCache: remembers the deliveries a webhook route accepted, by (provider, key),
// for a window, so a replayed or re-delivered one is answered "duplicate" and makes no
// work twice.
//
// Bounded: at most `capacity` keys. When full, expired keys are dropped first, then the
// oldest; a key dropped early can be accepted again, which is safe because a hint is
// idempotent (the chain decides; ingest dedupes) - the cache saves work, it is not what
// keeps claims exactly-once.
//
// Thread-safe (one mutex). O(log n) per call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace claimsync::node {

class ReplayCache {
 public:
  // REQUIRES: capacity > 0 and window_ms > 0 (else std::invalid_argument: a bug, since
  // config validation rejects them).
  ReplayCache(std::size_t capacity, std::int64_t window_ms);

  // True when (provider, key) was not seen within the window: it is recorded as seen at
  // now_ms. False for a replay (the first sighting is kept, not refreshed).
  bool first_sighting(std::string_view provider, std::string_view key, std::int64_t now_ms);

  // Forgets (provider, key): the delivery was not processed after all (so the
  // provider's retry is not refused as a duplicate).
  void forget(std::string_view provider, std::string_view key);

  std::size_t size() const;

 private:
  const std::size_t capacity_;
  const std::int64_t window_ms_;
  mutable std::mutex mu_;
  using ByTime = std::multimap<std::int64_t, std::string>;
  // Drops the entry at `it` from both indexes. REQUIRES: mu_ held.
  void erase_locked(ByTime::iterator it);

  ByTime by_time_;                                          // GUARDED_BY(mu_); seen at -> key
  std::unordered_map<std::string, ByTime::iterator> seen_;  // GUARDED_BY(mu_); key -> entry
};

}  // namespace claimsync::node
