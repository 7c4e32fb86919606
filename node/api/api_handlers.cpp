#include "node/api/api_handlers.hpp"

#include "node/api/claim_view.hpp"
#include "node/api/http_policy.hpp"
#include "node/api/readiness.hpp"
#include "node/reconcile/reconcile_pin.hpp"
#include "rpc/logging.hpp"

namespace claimsync::node {
namespace {

ApiReply unavailable(const std::string& code, const std::string& what) {
  return api_error(503, code, what + " is not available on this node");
}

// A non-negative integer field of a JSON object, or none.
std::optional<std::uint64_t> block_field(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<std::uint64_t>();
}

}  // namespace

HttpAnswer to_answer(const ApiReply& reply) {
  HttpAnswer a;
  a.status = reply.status;
  a.body = reply.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  a.headers = reply.headers;
  return a;
}

ApiHandlers::ApiHandlers(const ApiConfig& config, ApiServices services)
    : config_(config), services_(std::move(services)) {}

HttpAnswer ApiHandlers::handle(const ApiRequest& request) {
  bool text_metrics = false;
  ApiReply reply = dispatch(request, text_metrics);
  if (!text_metrics) return to_answer(reply);
  HttpAnswer a;
  a.content_type = "text/plain; version=0.0.4; charset=utf-8";
  a.body = services_.metrics_text();
  return a;
}

ApiReply ApiHandlers::dispatch(const ApiRequest& request, bool& text_metrics) {
  const std::optional<RouteMatch> route = match_route(request.path);
  if (!route) return api_error(404, "not_found", "no such endpoint");
  if (!route_allows(*route, request.method)) {
    ApiReply r = api_error(405, "method_not_allowed",
                           std::string("this endpoint answers ") + route->allow + " only");
    r.headers.emplace_back("Allow", route->allow);
    return r;
  }
  if (route->admin) {
    switch (check_bearer(config_.admin_token, request.authorization)) {
      case AdminAuth::kOk: break;
      case AdminAuth::kDisabled:
        return api_error(403, "admin_disabled",
                         "admin endpoints are disabled: no token configured (api.admin_token_env)");
      case AdminAuth::kMissing:
      case AdminAuth::kWrong: {
        ApiReply r = api_error(401, "unauthorized", "admin endpoints need a valid bearer token");
        r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"claimsync-admin\"");
        return r;
      }
    }
  }
  // A webhook's body is verified as raw bytes before anything parses it.
  if (route->id == RouteId::kWebhook) {
    if (services_.webhooks == nullptr) return api_error(404, "not_found", "no such endpoint");
    const auto no_header = [](std::string_view) -> std::optional<std::string> {
      return std::nullopt;
    };
    return services_.webhooks->handle(
        {route->param, request.body, request.header ? request.header : no_header});
  }
  // Elsewhere a body above api.max_body_bytes is refused (webhooks may be larger).
  if (request.body.size() > config_.max_body_bytes)
    return api_error(413, "body_too_large", "the request body is larger than api.max_body_bytes");
  // A POST body must be JSON, and parse as JSON, before any handler sees it.
  std::optional<nlohmann::json> body;
  if (request.method == "POST" && !request.body.empty()) {
    if (!is_json_content_type(request.content_type))
      return api_error(415, "unsupported_media_type", "request body must be application/json");
    ParsedBody parsed = parse_json_body(request.body);
    if (!parsed.value) return parsed.error;
    body = std::move(parsed.value);
  }
  switch (route->id) {
    case RouteId::kHealthz: return {200, {{"status", "ok"}}, {}};
    case RouteId::kReadyz: return readyz();
    case RouteId::kStatus:
      if (!services_.status) return unavailable("status_unavailable", "status");
      return {200, services_.status(), {}};
    case RouteId::kMetrics:
      if (!services_.metrics_text) return api_error(404, "not_found", "metrics are not enabled");
      text_metrics = true;
      return {};
    case RouteId::kClaimByTx: return claims_by_tx(route->param);
    case RouteId::kWallet: return wallet(route->param);
    case RouteId::kClaimsPost:
      if (services_.intake == nullptr)
        return unavailable("intake_unavailable", "claim intake (POST /v1/claims)");
      if (!body) return api_error(400, "malformed_json", "request body is empty");
      return services_.intake->submit(*body);
    case RouteId::kAdminRescan:
      if (!body || !body->is_object())
        return api_error(400, "invalid_request", "body must be {\"from\": N, \"to\": N}");
      return admin_rescan(*body);
    case RouteId::kAdminRetryKey: return admin_retry_key(route->param);
    case RouteId::kAdminRetryDead: return admin_retry_dead();
    case RouteId::kAdminReconcile: return admin_reconcile(body);
    case RouteId::kWebhook: break;  // answered above
  }
  return api_error(404, "not_found", "no such endpoint");
}

ApiReply ApiHandlers::readyz() {
  if (!services_.status) return unavailable("status_unavailable", "status");
  const nlohmann::json status = services_.status();
  const Readiness r = readiness_from_status(status, config_.ready_max_lag_blocks);
  return {r.ready ? 200 : 503, readiness_json(r, status), {}};
}

ApiReply ApiHandlers::claims_by_tx(const std::string& tx) {
  if (services_.store == nullptr) return unavailable("store_unavailable", "the claim store");
  Result<eth::Hash32> hash = eth::Hash32::parse(tx);
  if (!hash.ok())
    return api_error(400, "invalid_tx_hash", "tx hash must be 0x followed by 64 hex digits");
  const std::vector<store::Claim> claims = services_.store->list_by_tx(services_.chain_id, *hash);
  if (claims.empty()) return api_error(404, "not_found", "the node holds no claim of this tx");
  nlohmann::json list = nlohmann::json::array();
  for (const store::Claim& c : claims) list.push_back(claim_view(c));
  return {200, {{"tx_hash", hash->hex()}, {"claims", list}}, {}};
}

ApiReply ApiHandlers::wallet(const std::string& address) {
  if (services_.store == nullptr) return unavailable("store_unavailable", "the claim store");
  Result<eth::Address> wallet = eth::Address::parse(address);
  if (!wallet.ok())
    return api_error(400, "invalid_address", "address must be 0x followed by 40 hex digits");
  // One more than the limit tells whether the answer is truncated.
  std::vector<store::Claim> claims = services_.store->list_by_wallet(*wallet, kMaxWalletClaims + 1);
  const bool truncated = claims.size() > kMaxWalletClaims;
  if (truncated) claims.resize(kMaxWalletClaims);
  return {200, wallet_view(*wallet, claims, truncated), {}};
}

ApiReply ApiHandlers::admin_rescan(const nlohmann::json& body) {
  if (!services_.rescan) return unavailable("rescan_unavailable", "rescan");
  const auto from = block_field(body, "from");
  const auto to = block_field(body, "to");
  if (!from || !to)
    return api_error(400, "invalid_request", "from and to must be non-negative block numbers");
  if (*from > *to) return api_error(400, "invalid_range", "from must be <= to");
  if (*to - *from >= kMaxAdminRescanBlocks)
    return api_error(400, "range_too_large",
                     "at most " + std::to_string(kMaxAdminRescanBlocks) +
                         " blocks per call; split the range (or use `claimsync rescan` offline)");
  std::unique_lock<std::mutex> lock(rescan_mu_, std::try_to_lock);
  if (!lock.owns_lock())
    return api_error(409, "rescan_running", "another rescan is running; retry when it is done");
  log_info("api_rescan_started", {{"from", *from}, {"to", *to}});
  Result<RescanReport> report = services_.rescan({*from, *to, false});
  if (!report.ok()) {
    const ErrorCode code = report.status().code();
    log_warn("api_rescan_failed",
             {{"from", *from}, {"to", *to}, {"error", report.status().to_string()}});
    if (code == ErrorCode::kInvalidArgument)
      return api_error(400, "invalid_range", report.status().message());
    if (code == ErrorCode::kReorg)
      return api_error(409, "reorg",
                       report.status().message() +
                           " (run `claimsync rescan --rollback` with the node "
                           "stopped)");
    return api_error(503, "rescan_failed", report.status().to_string());
  }
  woke_after_change();
  return {
      200,
      {{"from", report->from},
       {"to", report->to},
       {"ranges", report->ranges},
       {"found", report->found},
       {"created", report->created},
       {"known", report->known},
       {"revived", report->revived},
       {"checkpoint", report->checkpoint ? nlohmann::json(*report->checkpoint) : nlohmann::json()}},
      {}};
}

ApiReply ApiHandlers::admin_reconcile(const std::optional<nlohmann::json>& body) {
  if (!services_.reconcile) return unavailable("reconcile_unavailable", "reconcile");
  std::string at = "finalized";
  std::size_t samples = 10;
  if (body) {
    if (!body->is_object())
      return api_error(400, "invalid_request", "body must be {\"at\": ..., \"samples\": N}");
    for (const auto& [key, value] : body->items()) {
      if (key == "at" && value.is_string()) {
        at = value.get<std::string>();
      } else if (key == "at" && value.is_number_unsigned()) {
        at = std::to_string(value.get<std::uint64_t>());
      } else if (key == "samples" && value.is_number_unsigned() &&
                 value.get<std::uint64_t>() <= kMaxReconcileSamples) {
        samples = value.get<std::size_t>();
      } else if (key == "repair") {
        return api_error(400, "repair_offline",
                         "repair runs with the node stopped: claimsync reconcile --repair");
      } else {
        return api_error(400, "invalid_request",
                         "fields: at (finalized, safe, latest or a block number), samples (0.." +
                             std::to_string(kMaxReconcileSamples) + ")");
      }
    }
  }
  if (Result<eth::BlockRef> ref = parse_pin_at(at); !ref.ok())
    return api_error(400, "invalid_at", ref.status().message());
  std::unique_lock<std::mutex> lock(reconcile_mu_, std::try_to_lock);
  if (!lock.owns_lock())
    return api_error(409, "reconcile_running",
                     "another reconcile is running; retry when it is done");
  log_info("api_reconcile_started", {{"at", at}});
  std::optional<nlohmann::json> report = services_.reconcile(at, samples);
  if (!report)
    return api_error(409, "reconcile_running",
                     "the node's scheduled reconcile is running; retry when it is done");
  return {200, std::move(*report), {}};
}

ApiReply ApiHandlers::admin_retry_key(const std::string& key_text) {
  if (services_.store == nullptr) return unavailable("store_unavailable", "the claim store");
  Result<store::ClaimKey> key = store::ClaimKey::parse(key_text);
  if (!key.ok())
    return api_error(400, "invalid_claim_key",
                     "claim key must be CHAIN:0xTX:LOG:BATCH, as `claimsync claims list` prints");
  const std::optional<store::Claim> claim = services_.store->get(*key);
  if (!claim) return api_error(404, "not_found", "no such claim");
  if (claim->state != store::ClaimState::kDead)
    return api_error(409, "not_dead",
                     std::string("only dead claims are retried; this one is ") +
                         store::claim_state_name(claim->state));
  const Status st = services_.store->retry_dead(*key, services_.now_ms());
  if (!st.ok()) {
    if (st.code() == ErrorCode::kFailedPrecondition)
      return api_error(409, "not_dead", st.message());
    return api_error(503, "store_error", st.to_string());
  }
  log_info("api_claim_retried", {{"key", key->to_string()}});
  woke_after_change();
  return {200, {{"retried", nlohmann::json::array({key->to_string()})}, {"count", 1}}, {}};
}

ApiReply ApiHandlers::admin_retry_dead() {
  if (services_.store == nullptr) return unavailable("store_unavailable", "the claim store");
  const std::vector<store::Claim> dead =
      services_.store->list_by_state(store::ClaimState::kDead, kMaxRetryDeadPerCall + 1);
  const bool more = dead.size() > kMaxRetryDeadPerCall;
  nlohmann::json retried = nlohmann::json::array();
  std::string failure;
  for (std::size_t i = 0; i < dead.size() && i < kMaxRetryDeadPerCall; ++i) {
    const Status st = services_.store->retry_dead(dead[i].key, services_.now_ms());
    if (st.ok()) {
      retried.push_back(dead[i].key.to_string());
    } else if (st.code() != ErrorCode::kFailedPrecondition) {  // moved meanwhile: skip it
      failure = st.to_string();
      break;
    }
  }
  if (!retried.empty()) {
    log_info("api_dead_claims_retried", {{"count", retried.size()}});
    woke_after_change();
  }
  if (!failure.empty())
    return api_error(503, "store_error",
                     failure + " (" + std::to_string(retried.size()) + " retried before it)");
  return {200, {{"count", retried.size()}, {"retried", retried}, {"more", more}}, {}};
}

void ApiHandlers::woke_after_change() {
  if (services_.wake_replicator) services_.wake_replicator();
}

}  // namespace claimsync::node
