// RateLimiter: a token bucket per client address (the API's per-client request budget).
//
// Contract:
//   * Each client starts with `burst` tokens; tokens refill at `per_s` a second up to
//     `burst`; a request takes one. per_s == 0 disables the limit (every request allowed).
//   * The table holds at most `max_clients` addresses: a new address when full evicts the
//     one seen least recently (an evicted client starts again with a full bucket, so
//     eviction can only be lenient, never lock a client out).
//   * Time comes from the caller (`now_ms`, monotonic), so tests drive it.
//   * Thread-safe (one mutex).
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace claimsync::node {

struct RateDecision {
  bool allowed = true;
  std::int64_t retry_after_s = 0;  // refused: whole seconds until a token is back (>= 1)
};

class RateLimiter {
 public:
  RateLimiter(std::uint32_t per_s, std::uint32_t burst, std::size_t max_clients = 10'000);

  RateDecision take(const std::string& client, std::int64_t now_ms);
  std::size_t clients() const;  // addresses in the table

 private:
  struct Bucket {
    double tokens = 0;
    std::int64_t updated_ms = 0;
    std::list<std::string>::iterator lru;  // position in lru_ (front = most recent)
  };
  const double per_s_;
  const double burst_;
  const std::size_t max_clients_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // GUARDED_BY(mu_)
  std::list<std::string> lru_;                       // GUARDED_BY(mu_)
};

}  // namespace claimsync::node
