// ApiHandlers: what each route of the HTTP API answers, independent of sockets.
//
// HttpServer turns a request into an ApiRequest (after its transport checks: size, rate,
// CORS, overload) and writes the HttpAnswer back. Every error body is
// {"error": {"code", "message"}}; no handler echoes raw client input.
//
// Routes (http_policy.hpp match_route):
//   GET  /healthz                         200 {"status":"ok"}
//   GET  /readyz                          200 / 503 {"ready", "reasons", ...} (readiness.hpp)
//   GET  /v1/status                       the `claimsync status --json` document
//   GET  /metrics                         Prometheus text (404 when no metrics are wired)
//   GET  /v1/claims/{tx_hash}             the tx's claims (404 when none), from the store
//   GET  /v1/wallets/{address}            the wallet's levels (claim_view.hpp), from the store
//   POST /v1/claims                       the body to ClaimIntake::submit (503 when none)
//   POST /v1/webhooks/{provider}          the raw body and headers to WebhookService::handle
//                                         (404 when webhooks are not wired)
//   POST /v1/admin/rescan {"from","to"}   rescan_range on the running node, synchronous,
//                                         at most kMaxAdminRescanBlocks, one at a time (409)
//   POST /v1/admin/claims/{key}/retry     dead -> pending (key CHAIN:0xTX:LOG:BATCH)
//   POST /v1/admin/claims/retry-dead      up to kMaxRetryDeadPerCall dead -> pending
//   POST /v1/admin/reconcile {"at","samples"}  the `claimsync reconcile --json` report of the
//                                         running node (both fields optional), synchronous,
//                                         one at a time, the node's scheduled runs included
//                                         (409 reconcile_running); read only:
//                                         --repair is for the stopped node (400)
// Admin routes need `Authorization: Bearer <api.admin_token>`: 403 admin_disabled when no
// token is configured, 401 (WWW-Authenticate) when missing or wrong; nothing changes then.
// After an admin change, services.wake_replicator() runs.
//
// Thread-safe: handle() runs on the server's workers concurrently; the services must be.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "node/api/api_reply.hpp"
#include "node/config.hpp"
#include "node/intake/claim_intake.hpp"
#include "node/webhooks/webhook_service.hpp"
#include "node/rescan.hpp"
#include "rpc/status.hpp"
#include "storage/node_store.hpp"

namespace claimsync::node {

inline constexpr std::uint64_t kMaxAdminRescanBlocks = 10'000;
inline constexpr std::size_t kMaxRetryDeadPerCall = 500;
inline constexpr std::size_t kMaxWalletClaims = 1'000;
inline constexpr std::size_t kMaxReconcileSamples = 1'000;

// What the API serves from. Null pointers / empty callbacks make their routes answer 503
// (or 404 for metrics); `store` and `now_ms` are needed by the claim and admin routes.
struct ApiServices {
  store::NodeStore* store = nullptr;
  std::uint64_t chain_id = 0;
  ClaimIntake* intake = nullptr;
  WebhookService* webhooks = nullptr;         // POST /v1/webhooks/{provider}
  std::size_t webhook_max_body_bytes = 0;     // their body limit (0: api.max_body_bytes)
  std::function<nlohmann::json()> status;     // StatusReport::to_json of the live node
  std::function<std::string()> metrics_text;  // Prometheus text exposition
  std::function<Result<RescanReport>(const RescanOptions&)> rescan;  // the running node's
  std::function<void()> wake_replicator;                             // after an admin change
  // POST /v1/admin/reconcile: one run at `at` with `samples` per class, the report's JSON;
  // nullopt when another run (the node's scheduled reconcile) is going (409).
  std::function<std::optional<nlohmann::json>(const std::string& at, std::size_t samples)>
      reconcile;
  std::function<std::int64_t()> now_ms;  // unix ms (store timestamps)
};

struct ApiRequest {
  std::string method;  // GET, HEAD, POST, ...
  std::string path;    // decoded, without the query
  std::string body;
  std::string content_type;
  std::string authorization;
  // Any header by name (any case), or nullopt. The body is already decoded from its
  // Content-Encoding by the transport, so this never reports one.
  std::function<std::optional<std::string>(std::string_view)> header;
};

struct HttpAnswer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// An ApiReply as an HTTP answer (JSON dumped with invalid UTF-8 replaced, never throwing).
HttpAnswer to_answer(const ApiReply& reply);

class ApiHandlers {
 public:
  ApiHandlers(const ApiConfig& config, ApiServices services);

  HttpAnswer handle(const ApiRequest& request);

 private:
  ApiReply dispatch(const ApiRequest& request, bool& text_metrics);
  ApiReply readyz();
  ApiReply claims_by_tx(const std::string& tx);
  ApiReply wallet(const std::string& address);
  ApiReply submit(const ApiRequest& request);
  ApiReply admin_rescan(const nlohmann::json& body);
  ApiReply admin_retry_key(const std::string& key);
  ApiReply admin_retry_dead();
  ApiReply admin_reconcile(const std::optional<nlohmann::json>& body);
  void woke_after_change();

  const ApiConfig config_;
  const ApiServices services_;
  std::mutex rescan_mu_;     // one admin rescan at a time (try_lock: 409 when busy)
  std::mutex reconcile_mu_;  // one admin reconcile at a time (likewise)
};

}  // namespace claimsync::node
