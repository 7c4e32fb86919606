#include "rpc/log_range_splitter.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "rpc/backoff.hpp"
#include "rpc/json_decode.hpp"
#include "rpc/logging.hpp"

namespace claimsync::eth {
namespace {

using nlohmann::json;

bool topics_match(const LogEntry& log, const LogFilter& filter) {
  for (std::size_t i = 0; i < filter.topics.size(); ++i) {
    const auto& wanted = filter.topics[i];
    if (wanted.empty()) continue;
    if (i >= log.topics.size()) return false;
    if (std::find(wanted.begin(), wanted.end(), log.topics[i]) == wanted.end()) return false;
  }
  return true;
}

Status bad_log(std::size_t index, const std::string& what) {
  return {ErrorCode::kBadResponse, "eth_getLogs result [" + std::to_string(index) + "]: " + what};
}

// The last block of the sub-range starting at `from` with `span` blocks, within `end`.
std::uint64_t sub_range_end(std::uint64_t from, std::uint64_t span, std::uint64_t end) {
  return end - from >= span - 1 ? from + span - 1 : end;
}

// The pinned block's header from the same endpoint as the logs: null means the endpoint
// does not serve it (behind: kNotFound, the pool fails over), another hash means the
// chain moved since the caller checked it (kReorg, returned to the caller).
Status check_pin(const RpcReply& reply, const BlockPin& pin) {
  if (reply.result.is_null()) {
    return {ErrorCode::kNotFound, "block " + std::to_string(pin.number) +
                                      " (the end of the scanned range) is not served"};
  }
  auto h = decode_header(reply.result);
  if (!h) return {ErrorCode::kBadResponse, "pinned header: " + h.status().message()};
  if (h->number != pin.number) {
    return {ErrorCode::kBadResponse, "asked for block " + std::to_string(pin.number) +
                                         ", got block " + std::to_string(h->number)};
  }
  if (h->hash != pin.hash) {
    return {ErrorCode::kReorg, "block " + std::to_string(pin.number) + " is now " + h->hash.hex() +
                                   ", not the " + pin.hash.hex() + " checked before the logs"};
  }
  return {};
}

}  // namespace

AdaptiveSpan::AdaptiveSpan(LogSpanPolicy policy) : policy_(policy) {
  policy_.min_span = std::max<std::uint64_t>(policy_.min_span, 1);
  policy_.max_span = std::max(policy_.max_span, policy_.min_span);
  policy_.initial_span = std::clamp(policy_.initial_span, policy_.min_span, policy_.max_span);
  span_ = policy_.initial_span;
}

std::uint64_t AdaptiveSpan::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return span_;
}

void AdaptiveSpan::on_success(bool full) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!full) return;
  if (++successes_ < kGrowAfter) return;
  successes_ = 0;
  span_ = std::min(policy_.max_span, span_ + std::max<std::uint64_t>(span_ / 2, 1));
}

std::uint64_t AdaptiveSpan::on_too_large(std::uint64_t used,
                                         std::optional<std::uint64_t> suggested) {
  std::lock_guard<std::mutex> lock(mu_);
  successes_ = 0;
  std::uint64_t next = used / 2;
  if (suggested && *suggested < used) next = *suggested;
  span_ = std::clamp(next, policy_.min_span, policy_.max_span);
  return span_;
}

RpcCall logs_call(const LogFilter& filter, std::uint64_t from, std::uint64_t to) {
  json topics = json::array();
  for (const auto& position : filter.topics) {
    if (position.empty()) {
      topics.push_back(nullptr);
      continue;
    }
    json any = json::array();
    for (const auto& t : position) any.push_back(t.hex());
    topics.push_back(std::move(any));
  }
  json params = {{"address", filter.address.lower_hex()},
                 {"fromBlock", to_quantity(from)},
                 {"toBlock", to_quantity(to)},
                 {"topics", std::move(topics)}};
  return RpcCall{"eth_getLogs", json::array({std::move(params)}), /*logs_result=*/true};
}

Result<std::vector<LogEntry>> validate_logs(const json& result, const LogFilter& filter,
                                            std::uint64_t from, std::uint64_t to) {
  if (!result.is_array())
    return error(ErrorCode::kBadResponse, "eth_getLogs result is not an array");
  std::vector<LogEntry> logs;
  logs.reserve(result.size());
  for (std::size_t i = 0; i < result.size(); ++i) {
    auto log = decode_log(result[i]);
    if (!log) return bad_log(i, log.status().message());
    logs.push_back(std::move(*log));
  }
  CLAIMSYNC_RETURN_IF_ERROR(check_logs(logs, filter, from, to));
  return logs;
}

Status check_logs(const std::vector<LogEntry>& logs, const LogFilter& filter, std::uint64_t from,
                  std::uint64_t to) {
  std::set<std::pair<std::uint64_t, std::uint32_t>> seen;
  std::map<std::uint64_t, Hash32> block_hashes;
  for (std::size_t i = 0; i < logs.size(); ++i) {
    const LogEntry& log = logs[i];
    if (log.removed) return bad_log(i, "log is marked removed (reorged out)");
    if (log.address != filter.address) {
      return bad_log(i, "log of " + log.address.lower_hex() + ", not of the requested " +
                            filter.address.lower_hex());
    }
    if (log.block_number < from || log.block_number > to) {
      return bad_log(i, "block " + std::to_string(log.block_number) + " outside the requested [" +
                            std::to_string(from) + ", " + std::to_string(to) + "]");
    }
    if (!topics_match(log, filter)) return bad_log(i, "topics do not match the filter");
    if (!seen.emplace(log.block_number, log.log_index).second) {
      return bad_log(i, "duplicate log index " + std::to_string(log.log_index) + " in block " +
                            std::to_string(log.block_number));
    }
    auto [it, inserted] = block_hashes.emplace(log.block_number, log.block_hash);
    if (!inserted && it->second != log.block_hash) {
      return bad_log(i, "two block hashes for block " + std::to_string(log.block_number));
    }
  }
  return {};
}

Result<std::vector<LogEntry>> fetch_logs(EndpointPool& pool, AdaptiveSpan& span,
                                         const LogFilter& filter, std::uint32_t max_failures,
                                         Clock& clock, const StopFlag* stop) {
  if (filter.from_block > filter.to_block) {
    return error(ErrorCode::kInvalidArgument, "eth_getLogs range [" +
                                                  std::to_string(filter.from_block) + ", " +
                                                  std::to_string(filter.to_block) + "] is empty");
  }
  StopFlag never;
  const StopFlag& stop_flag = stop != nullptr ? *stop : never;
  const BackoffPolicy backoff{pool.options().backoff_initial_ms, pool.options().backoff_max_ms};
  std::mt19937_64 rng(pool.options().rng_seed ^ filter.from_block);
  std::vector<LogEntry> out;
  std::uint64_t from = filter.from_block;
  std::uint32_t failures = 0;
  while (true) {
    if (stop_flag.stop_requested()) return error(ErrorCode::kCancelled, "shutdown requested");
    const std::uint64_t current = span.current();
    const std::uint64_t to = sub_range_end(from, current, filter.to_block);
    const std::uint64_t used = to - from + 1;
    std::vector<LogEntry> accepted;
    CallOptions options;
    options.logs_query = true;
    options.validate = [&](std::size_t index, RpcReply& reply) {
      if (index == 1) return check_pin(reply, *filter.pin);
      if (reply.logs) {  // decoded by the fast path: only the checks remain
        CLAIMSYNC_RETURN_IF_ERROR(check_logs(*reply.logs, filter, from, to));
        accepted = std::move(*reply.logs);
        return Status();
      }
      auto logs = validate_logs(reply.result, filter, from, to);
      if (!logs) return logs.status();
      accepted = std::move(*logs);
      return Status();
    };
    std::vector<RpcCall> calls{logs_call(filter, from, to)};
    if (filter.pin) {
      calls.push_back(
          {"eth_getBlockByNumber", json::array({to_quantity(filter.pin->number), false})});
    }
    auto replies = pool.call_batch(calls, options);
    Result<RpcReply> reply = replies.ok() ? Result<RpcReply>(std::move((*replies)[0]))
                                          : Result<RpcReply>(replies.status());
    Status failure;
    std::optional<std::uint64_t> suggested;
    if (!reply) {
      if (reply.status().code() != ErrorCode::kTimeout)
        return reply.status().with_context("eth_getLogs");
      failure = reply.status();
    } else if (!reply->error && filter.pin && (*replies)[1].error) {
      return rpc_error_status(*(*replies)[1].error, RpcErrorKind::kPermanent)
          .with_context("eth_getBlockByNumber pinned with eth_getLogs");
    } else if (reply->error) {
      if (classify_rpc_error(*reply->error, true) != RpcErrorKind::kRangeTooLarge) {
        return rpc_error_status(*reply->error, RpcErrorKind::kPermanent)
            .with_context("eth_getLogs");
      }
      failure = {ErrorCode::kRemoteError, reply->error->to_string()};
      suggested = suggested_log_span(*reply->error);
    }
    if (failure.ok()) {
      out.insert(out.end(), std::make_move_iterator(accepted.begin()),
                 std::make_move_iterator(accepted.end()));
      span.on_success(used == current);
      failures = 0;
      if (to == filter.to_block) break;
      from = to + 1;
      continue;
    }
    if (used > span.policy().min_span) {
      const std::uint64_t next = span.on_too_large(used, suggested);
      log_debug("rpc_logs_span_shrunk",
                {{"from", from}, {"blocks", used}, {"span", next}, {"reason", failure.message()}});
      continue;
    }
    if (++failures > max_failures) {
      log_error(
          "rpc_logs_failed",
          {{"from", from},
           {"to", to},
           {"error", failure.to_string()},
           {"next", "the provider refuses even rpc.logs_min_span blocks: use another endpoint"}});
      return failure.with_context("eth_getLogs over [" + std::to_string(from) + ", " +
                                  std::to_string(to) + "] still too large at the minimum span");
    }
    if (clock.sleep_ms(full_jitter_delay(failures - 1, backoff, rng), stop_flag)) {
      return error(ErrorCode::kCancelled, "shutdown requested");
    }
  }
  std::sort(out.begin(), out.end(), [](const LogEntry& a, const LogEntry& b) {
    return std::tie(a.block_number, a.log_index) < std::tie(b.block_number, b.log_index);
  });
  return out;
}

}  // namespace claimsync::eth
