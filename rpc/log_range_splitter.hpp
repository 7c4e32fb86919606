// Adaptive eth_getLogs over a block range.
//
// Providers cap eth_getLogs by block span (Alchemy 2k, Ankr 3k, QuickNode 10k, ...), by
// result count (Infura 10k logs), by response size or by time. The splitter walks the
// range in sub-ranges of `span` blocks: on a "range too large" answer (see
// classify_rpc_error) or a timeout it shrinks the span (to the size the provider
// suggests, else half) and retries the same sub-range; after kGrowAfter consecutive
// full-span successes it grows the span by half, always within [min_span, max_span].
// The span is shared by every call on the same AdaptiveSpan, so what was learnt
// about a provider is kept between calls.
//
// Every sub-range answer is validated before it is accepted (see validate_logs); a
// rejected answer counts as a lying endpoint and is retried elsewhere by the pool.
// Bounded: each iteration advances the range, shrinks the span, or spends one of
// max_retries failures at the minimum span.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "rpc/chain_source.hpp"
#include "rpc/endpoint_pool.hpp"
#include "rpc/json_rpc.hpp"

namespace claimsync::eth {

struct LogSpanPolicy {
  std::uint64_t min_span = 1;
  std::uint64_t max_span = 5'000;
  std::uint64_t initial_span = 1'000;
};

// The current span; thread-safe.
class AdaptiveSpan {
 public:
  static constexpr std::uint32_t kGrowAfter = 2;
  explicit AdaptiveSpan(LogSpanPolicy policy);  // clamps the policy into a sane shape

  std::uint64_t current() const;
  // A request over `used` blocks succeeded; `full` = it used the whole current span.
  void on_success(bool full);
  // A request over `used` blocks was too large. Returns the new span (< used unless
  // used == min_span): the provider's suggestion when given and smaller, else used / 2.
  std::uint64_t on_too_large(std::uint64_t used, std::optional<std::uint64_t> suggested);
  const LogSpanPolicy& policy() const { return policy_; }

 private:
  LogSpanPolicy policy_;
  mutable std::mutex mu_;
  std::uint64_t span_;           // GUARDED_BY(mu_)
  std::uint32_t successes_ = 0;  // GUARDED_BY(mu_): consecutive full-span successes
};

// Checks one eth_getLogs result for `filter` restricted to [from, to] and decodes it:
// an array of logs, each of filter.address, with topics matching the filter, block in
// [from, to], block hash / tx hash / log index present, removed == false, no duplicate
// (block, log index), one block hash per block number. kBadResponse otherwise.
// The checks above for logs already decoded (RpcReply::logs, the fast path).
Status check_logs(const std::vector<LogEntry>& logs, const LogFilter& filter, std::uint64_t from,
                  std::uint64_t to);
Result<std::vector<LogEntry>> validate_logs(const nlohmann::json& result, const LogFilter& filter,
                                            std::uint64_t from, std::uint64_t to);

// The eth_getLogs call for `filter` over [from, to].
RpcCall logs_call(const LogFilter& filter, std::uint64_t from, std::uint64_t to);

// All logs of `filter`, sorted by (block_number, log_index). `max_failures` bounds the
// retries of a sub-range that fails at the minimum span.
Result<std::vector<LogEntry>> fetch_logs(EndpointPool& pool, AdaptiveSpan& span,
                                         const LogFilter& filter, std::uint32_t max_failures,
                                         Clock& clock, const StopFlag* stop);

}  // namespace claimsync::eth
