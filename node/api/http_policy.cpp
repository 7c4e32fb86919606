#include "node/api/http_policy.hpp"

#include <algorithm>
#include <cctype>

namespace claimsync::node {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The deepest nesting of arrays/objects, counted outside strings, stopping once above
// `limit` (so a hostile body costs one linear pass and no recursion).
bool deeper_than(std::string_view body, int limit) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace

std::optional<std::string> cors_allowed_origin(const std::vector<std::string>& allowed,
                                               std::string_view origin) {
  if (origin.empty()) return std::nullopt;
  for (const std::string& a : allowed)
    if (a == origin) return a;
  return std::nullopt;
}

AdminAuth check_bearer(std::string_view configured_token, std::string_view authorization) {
  if (configured_token.empty()) return AdminAuth::kDisabled;
  authorization = trim(authorization);
  if (authorization.size() < 7 || lower(authorization.substr(0, 7)) != "bearer ")
    return AdminAuth::kMissing;
  const std::string_view given = trim(authorization.substr(7));
  if (given.empty()) return AdminAuth::kMissing;
  // Constant time in the configured token's length: every byte is compared.
  unsigned diff = given.size() == configured_token.size() ? 0u : 1u;
  for (std::size_t i = 0; i < configured_token.size(); ++i) {
    const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= g ^ static_cast<unsigned char>(configured_token[i]);
  }
  return diff == 0 ? AdminAuth::kOk : AdminAuth::kWrong;
}

ParsedBody parse_json_body(std::string_view body, int max_depth) {
  ParsedBody out;
  if (deeper_than(body, max_depth)) {
    out.error =
        api_error(400, "json_too_deep",
                  "request body nests deeper than " + std::to_string(max_depth) + " levels");
    return out;
  }
  // allow_exceptions = false: syntax errors, truncation and ill-formed UTF-8 all give a
  // discarded value.
  nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) {
    out.error = api_error(400, "malformed_json",
                          "request body is not valid JSON (syntax, truncation or invalid UTF-8)");
    return out;
  }
  out.value = std::move(j);
  return out;
}

bool is_json_content_type(std::string_view content_type) {
  const std::string media = lower(trim(content_type.substr(0, content_type.find(';'))));
  if (media == "application/json") return true;
  return media.size() > 17 && media.compare(0, 12, "application/") == 0 &&
         media.compare(media.size() - 5, 5, "+json") == 0;
}

std::optional<RouteMatch> match_route(std::string_view path) {
  if (path == "/healthz") return RouteMatch{RouteId::kHealthz, "", "GET"};
  if (path == "/readyz") return RouteMatch{RouteId::kReadyz, "", "GET"};
  if (path == "/metrics") return RouteMatch{RouteId::kMetrics, "", "GET"};
  if (path == "/v1/status") return RouteMatch{RouteId::kStatus, "", "GET"};
  if (path == "/v1/claims") return RouteMatch{RouteId::kClaimsPost, "", "POST"};
  if (path == "/v1/admin/rescan") return RouteMatch{RouteId::kAdminRescan, "", "POST", true};
  if (path == "/v1/admin/reconcile") return RouteMatch{RouteId::kAdminReconcile, "", "POST", true};
  if (path == "/v1/admin/claims/retry-dead")
    return RouteMatch{RouteId::kAdminRetryDead, "", "POST", true};
  // One non-empty segment parameter: no '/' inside.
  auto param_of = [&](std::string_view prefix,
                      std::string_view suffix) -> std::optional<std::string> {
    if (path.size() <= prefix.size() + suffix.size() || path.substr(0, prefix.size()) != prefix ||
        path.substr(path.size() - suffix.size()) != suffix)
      return std::nullopt;
    const std::string_view p =
        path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
    if (p.find('/') != std::string_view::npos) return std::nullopt;
    return std::string(p);
  };
  if (auto p = param_of("/v1/claims/", "")) return RouteMatch{RouteId::kClaimByTx, *p, "GET"};
  if (auto p = param_of("/v1/wallets/", "")) return RouteMatch{RouteId::kWallet, *p, "GET"};
  if (auto p = param_of("/v1/admin/claims/", "/retry"))
    return RouteMatch{RouteId::kAdminRetryKey, *p, "POST", true};
  if (auto p = param_of("/v1/webhooks/", "")) return RouteMatch{RouteId::kWebhook, *p, "POST"};
  return std::nullopt;
}

bool route_allows(const RouteMatch& route, std::string_view method) {
  return method == route.allow || (method == "HEAD" && std::string_view(route.allow) == "GET");
}

}  // namespace claimsync::node
