// The API's small request policies, pure functions so they are tested without sockets:
// CORS origin decision, bearer-token check, JSON body parsing, route matching.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "node/api/api_reply.hpp"

namespace claimsync::node {

// The Access-Control-Allow-Origin value for a request from `origin`: the origin itself
// when it is in `allowed` (exact, case-sensitive match as browsers send it), else none.
// No wildcard: the allow-list is explicit.
std::optional<std::string> cors_allowed_origin(const std::vector<std::string>& allowed,
                                               std::string_view origin);

enum class AdminAuth { kOk, kDisabled, kMissing, kWrong };
// Checks an Authorization header against the configured admin token. kDisabled when no
// token is configured (whatever the header). Compares in time independent of where the
// values differ (only the configured token's length shows).
AdminAuth check_bearer(std::string_view configured_token, std::string_view authorization);

// Nesting depth above which a JSON body is refused before parsing.
inline constexpr int kMaxJsonDepth = 64;

// Parses a request body as JSON: the value, or a 400 ApiReply ("malformed_json": syntax,
// truncation, invalid UTF-8; "json_too_deep": nesting above `max_depth`). Never throws.
// The error message never echoes the input.
struct ParsedBody {
  std::optional<nlohmann::json> value;
  ApiReply error;  // when !value
};
ParsedBody parse_json_body(std::string_view body, int max_depth = kMaxJsonDepth);

// True when a Content-Type header names JSON: application/json (any parameters, any case)
// or application/<x>+json.
bool is_json_content_type(std::string_view content_type);

enum class RouteId {
  kHealthz,
  kReadyz,
  kMetrics,
  kStatus,
  kClaimsPost,
  kClaimByTx,
  kWallet,
  kAdminRescan,
  kAdminRetryDead,
  kAdminRetryKey,
  kAdminReconcile,
  kWebhook,  // POST /v1/webhooks/{provider}: raw body, verified by the webhook service
};

struct RouteMatch {
  RouteId id;
  std::string param;  // {tx_hash}, {address}, {key} or {provider}; empty otherwise
  const char* allow;  // the methods the path answers, for 405's Allow header
  bool admin = false;
};
// The route of `path` (query excluded), or none (404).
std::optional<RouteMatch> match_route(std::string_view path);
// Whether `method` is one the route answers (HEAD counts as GET).
bool route_allows(const RouteMatch& route, std::string_view method);

}  // namespace claimsync::node
