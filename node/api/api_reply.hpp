// ApiReply: what a handler behind the HTTP API answers: a status code and a JSON body.
// Errors use the body {"error": {"code": "<snake_case>", "message": "<for a human>"}}.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace claimsync::node {

struct ApiReply {
  int status = 200;
  nlohmann::json body = nlohmann::json::object();
  // Extra response headers (Allow, Retry-After, WWW-Authenticate, ...).
  std::vector<std::pair<std::string, std::string>> headers = {};
};

// {"error": {"code": code, "message": message}} with `status`.
inline ApiReply api_error(int status, std::string code, std::string message) {
  return {status, {{"error", {{"code", std::move(code)}, {"message", std::move(message)}}}}, {}};
}

}  // namespace claimsync::node
