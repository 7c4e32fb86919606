// The HTTP API's pure policies: rate limiter (driven clock), CORS, bearer check, JSON body
// parsing, route matching.
#include <catch2/catch.hpp>

#include <string>

#include "node/api/http_policy.hpp"
#include "node/api/rate_limiter.hpp"

using namespace claimsync::node;

TEST_CASE("rate limiter: burst, then refill at the rate", "[api]") {
  RateLimiter rl(2, 4);  // 2/s, burst 4
  std::int64_t now = 1'000'000;
  for (int i = 0; i < 4; ++i) CHECK(rl.take("a", now).allowed);
  const RateDecision refused = rl.take("a", now);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after_s == 1);
  CHECK(rl.take("b", now).allowed);  // per address
  now += 499;
  CHECK_FALSE(rl.take("a", now).allowed);
  now += 1;  // 500 ms at 2/s: one token back
  CHECK(rl.take("a", now).allowed);
  CHECK_FALSE(rl.take("a", now).allowed);
  now += 60'000;  // refill caps at the burst
  for (int i = 0; i < 4; ++i) CHECK(rl.take("a", now).allowed);
  CHECK_FALSE(rl.take("a", now).allowed);
}

TEST_CASE("rate limiter: Retry-After covers a slow rate", "[api]") {
  RateLimiter rl(1, 1);
  CHECK(rl.take("a", 0).allowed);
  CHECK(rl.take("a", 0).retry_after_s == 1);
  RateLimiter slow(1, 3);
  for (int i = 0; i < 3; ++i) CHECK(slow.take("x", 0).allowed);
  CHECK(slow.take("x", 100).retry_after_s == 1);  // 0.9 s to the next token -> 1 s
}

TEST_CASE("rate limiter: 0 per second disables it", "[api]") {
  RateLimiter rl(0, 1);
  for (int i = 0; i < 1000; ++i) REQUIRE(rl.take("a", 0).allowed);
  CHECK(rl.clients() == 0);
}

TEST_CASE("rate limiter: the table is bounded, least recently seen evicted", "[api]") {
  RateLimiter rl(1, 1, 3);
  CHECK(rl.take("a", 0).allowed);
  CHECK(rl.take("b", 0).allowed);
  CHECK(rl.take("c", 0).allowed);
  CHECK_FALSE(rl.take("a", 0).allowed);  // a is now the most recent
  CHECK(rl.take("d", 0).allowed);        // evicts b
  CHECK(rl.clients() == 3);
  CHECK_FALSE(rl.take("a", 0).allowed);  // a kept its empty bucket
  CHECK(rl.take("b", 0).allowed);        // b was evicted: fresh bucket
  for (int i = 0; i < 10'000; ++i) rl.take("ip" + std::to_string(i), 0);
  CHECK(rl.clients() == 3);
}

TEST_CASE("CORS: only listed origins, exact match", "[api]") {
  const std::vector<std::string> allowed = {"https://app.example", "http://localhost:3000"};
  CHECK(cors_allowed_origin(allowed, "https://app.example") == "https://app.example");
  CHECK(cors_allowed_origin(allowed, "http://localhost:3000") == "http://localhost:3000");
  CHECK_FALSE(cors_allowed_origin(allowed, "https://evil.example"));
  CHECK_FALSE(cors_allowed_origin(allowed, "https://app.example.evil.com"));
  CHECK_FALSE(cors_allowed_origin(allowed, "https://app.example/"));
  CHECK_FALSE(cors_allowed_origin(allowed, "null"));
  CHECK_FALSE(cors_allowed_origin(allowed, ""));
  CHECK_FALSE(cors_allowed_origin({}, "https://app.example"));
}

TEST_CASE("bearer check", "[api]") {
  CHECK(check_bearer("", "Bearer anything") == AdminAuth::kDisabled);
  CHECK(check_bearer("", "") == AdminAuth::kDisabled);
  CHECK(check_bearer("s3cret", "Bearer s3cret") == AdminAuth::kOk);
  CHECK(check_bearer("s3cret", "bearer s3cret") == AdminAuth::kOk);
  CHECK(check_bearer("s3cret", "") == AdminAuth::kMissing);
  CHECK(check_bearer("s3cret", "Basic czNjcmV0") == AdminAuth::kMissing);
  CHECK(check_bearer("s3cret", "Bearer ") == AdminAuth::kMissing);
  CHECK(check_bearer("s3cret", "Bearer s3cre") == AdminAuth::kWrong);
  CHECK(check_bearer("s3cret", "Bearer s3cret2") == AdminAuth::kWrong);
  CHECK(check_bearer("s3cret", "Bearer S3cret") == AdminAuth::kWrong);
  CHECK(check_bearer("s3cret", std::string("Bearer s3cret\0", 14)) == AdminAuth::kWrong);
}

TEST_CASE("JSON body: valid, malformed, truncated, deep, invalid UTF-8", "[api]") {
  CHECK(parse_json_body(R"({"tx_hash":"0x01"})").value);
  CHECK(parse_json_body("[123456789012345678901234567890]").value);  // a big integer: a double
  auto code = [](std::string_view body) {
    ParsedBody p = parse_json_body(body);
    REQUIRE_FALSE(p.value);
    CHECK(p.error.status == 400);
    return p.error.body.at("error").at("code").get<std::string>();
  };
  CHECK(code("{") == "malformed_json");
  CHECK(code("[1e999999]") == "malformed_json");  // out of range for a double
  CHECK(code(R"({"tx_hash": "0x)") == "malformed_json");
  CHECK(code("") == "malformed_json");
  CHECK(code("{'a': 1}") == "malformed_json");
  CHECK(code("{\"a\": \"\xff\xfe\"}") == "malformed_json");
  CHECK(code("{\"a\": \"\xc3\x28\"}") == "malformed_json");
  CHECK(code(std::string(10'000, '[')) == "json_too_deep");
  CHECK(code(std::string(65, '[') + std::string(65, ']')) == "json_too_deep");
  CHECK(parse_json_body(std::string(64, '[') + std::string(64, ']')).value);
  // Brackets inside strings do not count.
  CHECK(parse_json_body("[\"" + std::string(1000, '[') + "\"]").value);
  CHECK(parse_json_body(
            R"(["\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["])")
            .value);
}

TEST_CASE("content type", "[api]") {
  CHECK(is_json_content_type("application/json"));
  CHECK(is_json_content_type("Application/JSON; charset=utf-8"));
  CHECK(is_json_content_type("application/vnd.api+json"));
  CHECK_FALSE(is_json_content_type(""));
  CHECK_FALSE(is_json_content_type("text/plain"));
  CHECK_FALSE(is_json_content_type("application/x-www-form-urlencoded"));
  CHECK_FALSE(is_json_content_type("application/jsonp"));
}

TEST_CASE("routes", "[api]") {
  auto id = [](std::string_view path) { return match_route(path).value().id; };
  CHECK(id("/healthz") == RouteId::kHealthz);
  CHECK(id("/readyz") == RouteId::kReadyz);
  CHECK(id("/metrics") == RouteId::kMetrics);
  CHECK(id("/v1/status") == RouteId::kStatus);
  CHECK(id("/v1/claims") == RouteId::kClaimsPost);
  CHECK(id("/v1/admin/rescan") == RouteId::kAdminRescan);
  CHECK(id("/v1/admin/claims/retry-dead") == RouteId::kAdminRetryDead);
  CHECK(id("/v1/admin/reconcile") == RouteId::kAdminReconcile);
  CHECK(match_route("/v1/admin/reconcile").value().admin);
  const auto tx = match_route("/v1/claims/0xabc").value();
  CHECK(tx.id == RouteId::kClaimByTx);
  CHECK(tx.param == "0xabc");
  CHECK(match_route("/v1/wallets/0x12").value().param == "0x12");
  const auto key = match_route("/v1/admin/claims/31337:0xab:1:0/retry").value();
  CHECK(key.id == RouteId::kAdminRetryKey);
  CHECK(key.param == "31337:0xab:1:0");
  CHECK(key.admin);
  CHECK_FALSE(tx.admin);
  for (const char* p :
       {"/", "", "/v1", "/v1/claims/", "/v1/claims/a/b", "/healthz/", "/v1/admin/claims//retry",
        "/v1/admin/claims/x/retry/", "/v1/wallets/", "/v2/status", "/HEALTHZ"})
    CHECK_FALSE(match_route(p));
  CHECK(route_allows(match_route("/healthz").value(), "GET"));
  CHECK(route_allows(match_route("/healthz").value(), "HEAD"));
  CHECK_FALSE(route_allows(match_route("/healthz").value(), "POST"));
  CHECK(route_allows(match_route("/v1/claims").value(), "POST"));
  CHECK_FALSE(route_allows(match_route("/v1/claims").value(), "GET"));
  CHECK_FALSE(route_allows(match_route("/v1/claims").value(), "HEAD"));
}
