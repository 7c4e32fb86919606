#include "rpc/endpoint_pool.hpp"

#include <algorithm>

#include "rpc/json_decode.hpp"
#include "rpc/logging.hpp"

namespace claimsync::eth {

struct EndpointPool::Endpoint {
  Endpoint(HttpUrl url, HttpOptions http) : rpc(std::move(url), http) {}
  JsonRpcEndpoint rpc;
  EndpointHealth health;
};

namespace {

constexpr double kScoreWeight = 0.2;  // EWMA weight of the newest outcome

std::uint64_t seed_of(std::uint64_t configured) {
  if (configured != 0) return configured;
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

Result<std::unique_ptr<EndpointPool>> EndpointPool::create(const JsonRpcClientOptions& options,
                                                           Clock& clock, const StopFlag* stop) {
  if (options.urls.empty()) return error(ErrorCode::kInvalidArgument, "no RPC URL configured");
  if (options.chain_id == 0)
    return error(ErrorCode::kInvalidArgument, "chain id must be set (non-zero)");
  if (options.max_batch == 0) return error(ErrorCode::kInvalidArgument, "max_batch must be >= 1");
  std::unique_ptr<EndpointPool> pool(new EndpointPool(options, clock, stop));
  HttpOptions http;
  http.timeout_ms = options.timeout_ms;
  http.max_response_bytes = options.max_response_bytes;
  for (const auto& text : options.urls) {
    auto url = parse_http_url(text);
    if (!url) return url.status().with_context("RPC URL");
    auto endpoint = std::make_unique<Endpoint>(*url, http);
    endpoint->health.url = url->redacted();
    pool->endpoints_.push_back(std::move(endpoint));
  }
  return pool;
}

EndpointPool::EndpointPool(JsonRpcClientOptions options, Clock& clock, const StopFlag* stop)
    : options_(std::move(options)),
      backoff_{options_.backoff_initial_ms, options_.backoff_max_ms},
      clock_(clock),
      stop_(stop != nullptr ? stop : &never_stopped_),
      rng_(seed_of(options_.rng_seed)) {}

EndpointPool::~EndpointPool() = default;

Result<std::size_t> EndpointPool::pick(std::int64_t* wait_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::int64_t now = clock_.now_ms();
  std::optional<std::size_t> soonest, lagging;
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    const EndpointHealth& h = endpoints_[i]->health;
    if (h.state == EndpointHealth::State::kRefused) continue;
    if (h.cooldown_until_ms <= now) {
      if (h.lagging) {  // usable, but one that is not lagging comes first
        if (!lagging) lagging = i;
        continue;
      }
      *wait_ms = 0;
      return i;
    }
    if (!soonest || h.cooldown_until_ms < endpoints_[*soonest]->health.cooldown_until_ms)
      soonest = i;
  }
  if (lagging) {
    *wait_ms = 0;
    return *lagging;
  }
  if (!soonest) {
    return error(ErrorCode::kFailedPrecondition,
                 "every RPC endpoint was refused: none serves chain id " +
                     std::to_string(options_.chain_id));
  }
  *wait_ms = std::min(endpoints_[*soonest]->health.cooldown_until_ms - now, backoff_.max_ms);
  return *soonest;
}

void EndpointPool::record_success(std::size_t index) {
  std::lock_guard<std::mutex> lock(mu_);
  EndpointHealth& h = endpoints_[index]->health;
  h.score = h.score * (1 - kScoreWeight) + kScoreWeight;
  h.consecutive_failures = 0;
  h.cooldown_until_ms = 0;
  ++h.successes;
}

void EndpointPool::record_failure(std::size_t index, const Status& status,
                                  const std::string& retry_after) {
  std::lock_guard<std::mutex> lock(mu_);
  EndpointHealth& h = endpoints_[index]->health;
  const std::int64_t now = clock_.now_ms();
  h.score *= 1 - kScoreWeight;
  ++h.failures;
  std::int64_t cooldown = full_jitter_delay(h.consecutive_failures, backoff_, rng_);
  ++h.consecutive_failures;
  if (auto ra = parse_retry_after_ms(retry_after, now, backoff_.max_ms))
    cooldown = std::max(cooldown, *ra);
  h.cooldown_until_ms = now + cooldown;
  h.last_error = status.to_string();
  log_warn("rpc_endpoint_failed", {{"endpoint", h.url},
                                   {"error", h.last_error},
                                   {"consecutive_failures", h.consecutive_failures},
                                   {"cooldown_ms", cooldown}});
}

bool EndpointPool::observe_head(std::size_t index, std::uint64_t head) {
  std::lock_guard<std::mutex> lock(mu_);
  EndpointHealth& h = endpoints_[index]->health;
  h.head = head;
  high_water_head_ = std::max(high_water_head_, head);
  const bool behind = head + options_.max_lag_blocks < high_water_head_;
  if (!behind && h.lagging) {
    h.lagging = false;
    log_info("rpc_endpoint_caught_up",
             {{"endpoint", h.url}, {"head", head}, {"high_water_head", high_water_head_}});
  }
  return behind;
}

bool EndpointPool::mark_lagging(std::size_t index, const std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  EndpointHealth& h = endpoints_[index]->health;
  const std::int64_t now = clock_.now_ms();
  bool other = false;
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    const EndpointHealth& o = endpoints_[i]->health;
    other = other || (i != index && o.state != EndpointHealth::State::kRefused &&
                      o.cooldown_until_ms <= now && !o.lagging);
  }
  h.last_error = "lagging: " + why;
  if (other) h.cooldown_until_ms = now + std::max<std::int64_t>(backoff_.max_ms, 1);
  if (!h.lagging) {
    h.lagging = true;
    ++h.lag_episodes;
    log_warn("rpc_endpoint_lagging",
             {{"endpoint", h.url},
              {"head", h.head ? std::to_string(*h.head) : std::string("?")},
              {"high_water_head", high_water_head_},
              {"reason", why},
              {"failover", other},
              {"next", other ? "calls go to the other endpoints until this one catches up; if it "
                               "stays behind, fix or remove it from chain.rpc_urls"
                             : "no endpoint is up to date: the node waits for the chain (nothing "
                               "is rolled back); add or fix an endpoint in chain.rpc_urls"}});
  }
  return other;
}

Result<std::vector<RpcReply>> EndpointPool::send(std::size_t index,
                                                 const std::vector<RpcCall>& calls,
                                                 std::int64_t timeout_ms, bool logs_query,
                                                 RpcRequestInfo* info) {
  if (!options_.observer) return endpoints_[index]->rpc.send(calls, timeout_ms, info);
  const std::int64_t start_us = clock_.monotonic_us();
  auto replies = endpoints_[index]->rpc.send(calls, timeout_ms, info);
  const double seconds =
      static_cast<double>(std::max<std::int64_t>(clock_.monotonic_us() - start_us, 0)) / 1e6;
  const Status transport = replies.status();
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const RpcReply* reply = replies.ok() && i < replies->size() ? &(*replies)[i] : nullptr;
    options_.observer({calls[i].method, rpc_outcome(transport, reply, logs_query), seconds});
  }
  return replies;
}

Status EndpointPool::ensure_verified(std::size_t index) {
  Endpoint& ep = *endpoints_[index];
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ep.health.state == EndpointHealth::State::kVerified) return {};
    if (ep.health.state == EndpointHealth::State::kRefused) {
      return {ErrorCode::kFailedPrecondition, "endpoint refused: wrong chain id"};
    }
  }
  RpcRequestInfo info;
  auto replies = send(index, {RpcCall{"eth_chainId", nlohmann::json::array()}}, options_.timeout_ms,
                      false, &info);
  Status st;
  std::uint64_t id = 0;
  if (!replies) {
    st = replies.status();
  } else if ((*replies)[0].error) {
    st = {ErrorCode::kRemoteError, (*replies)[0].error->to_string()};
  } else {
    auto parsed =
        decode_quantity_field(nlohmann::json{{"chainId", (*replies)[0].result}}, "chainId");
    if (!parsed)
      st = parsed.status();
    else
      id = *parsed;
  }
  if (!st.ok()) {
    st = st.with_context("eth_chainId check");
    record_failure(index, st, info.retry_after);
    return st;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (id != options_.chain_id) {
    ep.health.state = EndpointHealth::State::kRefused;
    ep.health.last_error =
        "eth_chainId " + std::to_string(id) + " != configured " + std::to_string(options_.chain_id);
    log_error(
        "rpc_endpoint_refused",
        {{"endpoint", ep.health.url},
         {"chain_id", id},
         {"expected", options_.chain_id},
         {"next", "this endpoint serves another chain: fix chain.rpc_urls or chain.chain_id"}});
    return {ErrorCode::kFailedPrecondition,
            "endpoint " + ep.health.url + " refused: " + ep.health.last_error};
  }
  ep.health.state = EndpointHealth::State::kVerified;
  log_info("rpc_endpoint_verified", {{"endpoint", ep.health.url}, {"chain_id", id}});
  return {};
}

Status EndpointPool::verify_all() {
  Status last;
  bool usable = false;
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    Status st = ensure_verified(i);
    if (st.ok())
      usable = true;
    else
      last = st;
  }
  if (usable) return {};
  std::lock_guard<std::mutex> lock(mu_);
  const bool all_refused = std::all_of(endpoints_.begin(), endpoints_.end(), [](const auto& e) {
    return e->health.state == EndpointHealth::State::kRefused;
  });
  if (all_refused) {
    return {ErrorCode::kFailedPrecondition,
            "every RPC endpoint was refused: none serves chain id " +
                std::to_string(options_.chain_id)};
  }
  return last;
}

Result<std::vector<RpcReply>> EndpointPool::call_chunk(const std::vector<RpcCall>& calls,
                                                       std::size_t offset,
                                                       const CallOptions& options) {
  std::vector<std::optional<RpcReply>> done(calls.size());
  std::vector<std::size_t> pending(calls.size());
  for (std::size_t i = 0; i < pending.size(); ++i) pending[i] = i;
  Status last;
  const std::uint32_t attempts = options_.max_retries + 1;
  for (std::uint32_t attempt = 0; attempt < attempts; ++attempt) {
    if (stop_->stop_requested()) return error(ErrorCode::kCancelled, "shutdown requested");
    std::int64_t wait_ms = 0;
    auto picked = pick(&wait_ms);
    if (!picked) return picked.status();
    const std::size_t ep = *picked;
    if (wait_ms > 0 && clock_.sleep_ms(wait_ms, *stop_)) {
      return error(ErrorCode::kCancelled, "shutdown requested");
    }
    if (Status st = ensure_verified(ep); !st.ok()) {
      last = st;
      continue;
    }
    std::vector<RpcCall> round;
    round.reserve(pending.size());
    for (std::size_t i : pending) round.push_back(calls[i]);
    RpcRequestInfo info;
    auto replies = send(ep, round, options.timeout_ms, options.logs_query, &info);
    if (!replies) {
      last = replies.status();
      if (last.code() == ErrorCode::kInvalidArgument) return last;  // our request is too large
      if (options.logs_query && info.response_too_large) {
        // Our own limit, like a provider's "response size exceeded": the caller shrinks.
        RpcErrorObject too_large{-32000,
                                 "response too large: more than rpc.max_response_bytes = " +
                                     std::to_string(options_.max_response_bytes) + " bytes",
                                 ""};
        std::vector<RpcReply> out;
        for (auto& r : done) {
          if (!r) r = RpcReply{nlohmann::json(), too_large, std::nullopt};
          out.push_back(std::move(*r));
        }
        return out;
      }
      record_failure(ep, last, info.retry_after);
      if (options.logs_query && last.code() == ErrorCode::kTimeout) return last;  // caller shrinks
      continue;
    }
    std::vector<std::size_t> retry;
    std::vector<std::size_t> accepted;
    bool lied = false;
    std::optional<Status> behind;
    bool head_lag = false;  // behind because of the head it reported (already marked)
    for (std::size_t k = 0; k < round.size() && !lied && !behind; ++k) {
      RpcReply& reply = (*replies)[k];
      const std::size_t i = pending[k];
      if (reply.error) {
        const RpcErrorKind kind = classify_rpc_error(*reply.error, options.logs_query);
        if (kind == RpcErrorKind::kRateLimited || kind == RpcErrorKind::kTransient) {
          last = rpc_error_status(*reply.error, kind);
          retry.push_back(i);
          continue;
        }
      } else if (options.validate) {
        Status st = options.validate(offset + i, reply);
        if (st.code() == ErrorCode::kBadResponse) {
          last = st.with_context("rejected reply from " + endpoints_[ep]->health.url);
          lied = true;
          continue;
        }
        if (st.code() == ErrorCode::kNotFound) {
          behind = st;
          continue;
        }
        if (!st.ok()) return st;
      }
      if (!reply.error && options.reported_head) {
        if (std::optional<std::uint64_t> head = options.reported_head(reply);
            head && observe_head(ep, *head)) {
          behind = Status(ErrorCode::kNotFound, "head " + std::to_string(*head) + " is more than " +
                                                    std::to_string(options_.max_lag_blocks) +
                                                    " blocks below the high-water head " +
                                                    std::to_string(high_water_head()));
          head_lag = true;
          if (mark_lagging(ep, behind->message())) continue;
          behind.reset();
          head_lag = false;  // no endpoint is up to date: the caller sees the low head
        }
      }
      done[i] = std::move(reply);
      accepted.push_back(i);
    }
    if (lied) {
      for (std::size_t i : accepted) done[i].reset();  // trust nothing from a lying round
      record_failure(ep, last, "");
      continue;
    }
    if (behind) {
      for (std::size_t i : accepted) done[i].reset();  // a lagging round: ask another endpoint
      last = behind->with_context(endpoints_[ep]->health.url + " is behind");
      if (!head_lag && !mark_lagging(ep, behind->message())) return last;
      continue;
    }
    if (retry.empty()) {
      record_success(ep);
      std::vector<RpcReply> out;
      out.reserve(done.size());
      for (auto& r : done) out.push_back(std::move(*r));
      return out;
    }
    record_failure(ep, last, info.retry_after);
    pending = std::move(retry);
  }
  log_error("rpc_call_failed",
            {{"method", calls[pending.empty() ? 0 : pending[0]].method},
             {"attempts", attempts},
             {"error", last.to_string()},
             {"next", "check the RPC endpoints (rpc_endpoint_failed events); retried later"}});
  return last.with_context("gave up after " + std::to_string(attempts) + " attempts");
}

Result<std::vector<RpcReply>> EndpointPool::call_batch(const std::vector<RpcCall>& calls,
                                                       const CallOptions& options) {
  std::vector<RpcReply> out;
  out.reserve(calls.size());
  for (std::size_t start = 0; start < calls.size(); start += options_.max_batch) {
    const std::size_t end = std::min(calls.size(), start + options_.max_batch);
    std::vector<RpcCall> chunk(calls.begin() + static_cast<std::ptrdiff_t>(start),
                               calls.begin() + static_cast<std::ptrdiff_t>(end));
    auto replies = call_chunk(chunk, start, options);
    if (!replies) return replies.status();
    for (auto& r : *replies) out.push_back(std::move(r));
  }
  return out;
}

Result<RpcReply> EndpointPool::call(const RpcCall& call, const CallOptions& options) {
  auto replies = call_batch({call}, options);
  if (!replies) return replies.status();
  return std::move((*replies)[0]);
}

std::uint64_t EndpointPool::high_water_head() const {
  std::lock_guard<std::mutex> lock(mu_);
  return high_water_head_;
}

std::vector<EndpointHealth> EndpointPool::health() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<EndpointHealth> out;
  for (const auto& e : endpoints_) out.push_back(e->health);
  return out;
}

}  // namespace claimsync::eth
