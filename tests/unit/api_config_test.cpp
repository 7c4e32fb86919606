// The [api] keys: defaults, explicit values, and a clear error for each kind of mistake.
#include <catch2/catch.hpp>

#include <string>

#include "node/config.hpp"

using claimsync::node::parse_config;
using claimsync::node::render_config;

namespace {

const std::string kMinimal =
    "[chain]\n"
    "rpc_urls = [\"http://127.0.0.1:8545\"]\n"
    "chain_id = 31337\n"
    "contract = \"0x5FbDB2315678afecb367f032d93F642f64180aa3\"\n"
    "[api]\n";  // line 5; cases add from line 6

std::string error_of(const std::string& lines) {
  auto r = parse_config(kMinimal + lines, "t.toml");
  REQUIRE_FALSE(r.ok());
  return r.status().message();
}

}  // namespace

TEST_CASE("api keys: defaults", "[config][api]") {
  auto c = parse_config(kMinimal, "t.toml");
  REQUIRE(c.ok());
  CHECK(c->api.workers == 8);
  CHECK(c->api.max_queued == 64);
  CHECK(c->api.read_timeout_ms == 5000);
  CHECK(c->api.write_timeout_ms == 5000);
  CHECK(c->api.max_body_bytes == 65536);
  CHECK(c->api.cors_origins.empty());
  CHECK(c->api.rate_limit_per_s == 20);
  CHECK(c->api.rate_limit_burst == 40);
  CHECK(c->api.ready_max_lag_blocks == 5);
}

TEST_CASE("api keys: explicit values and a round trip through render_config", "[config][api]") {
  auto c =
      parse_config(kMinimal +
                       "listen = \"127.0.0.1:0\"\nworkers = 2\nmax_queued = 3\n"
                       "read_timeout_ms = 100\nwrite_timeout_ms = 200\n"
                       "max_body_bytes = 1024\n"
                       "cors_origins = [\"https://app.example\", \"http://localhost:3000\"]\n"
                       "rate_limit_per_s = 5\nrate_limit_burst = 9\nready_max_lag_blocks = 0\n",
                   "t.toml");
  REQUIRE(c.ok());
  CHECK(c->api.listen == "127.0.0.1:0");
  CHECK(c->api.workers == 2);
  CHECK(c->api.max_queued == 3);
  CHECK(c->api.read_timeout_ms == 100);
  CHECK(c->api.write_timeout_ms == 200);
  CHECK(c->api.max_body_bytes == 1024);
  CHECK(c->api.cors_origins ==
        std::vector<std::string>{"https://app.example", "http://localhost:3000"});
  CHECK(c->api.rate_limit_per_s == 5);
  CHECK(c->api.rate_limit_burst == 9);
  CHECK(c->api.ready_max_lag_blocks == 0);
  auto again = parse_config(render_config(*c), "rendered.toml");
  REQUIRE(again.ok());
  auto body = [](const std::string& r) { return r.substr(r.find('\n') + 1); };  // past the source
  CHECK(body(render_config(*again)) == body(render_config(*c)));
}

TEST_CASE("api keys: a rate above the default burst raises the burst", "[config][api]") {
  auto c = parse_config(kMinimal + "rate_limit_per_s = 100\n", "t.toml");
  REQUIRE(c.ok());
  CHECK(c->api.rate_limit_burst == 100);
  auto off = parse_config(kMinimal + "rate_limit_per_s = 0\n", "t.toml");
  REQUIRE(off.ok());
  CHECK(off->api.rate_limit_per_s == 0);
}

TEST_CASE("api keys: each mistake names the key and line", "[config][api]") {
  CHECK(error_of("workers = 0\n").find("t.toml:6: key api.workers: must be between 1") == 0);
  CHECK(error_of("max_queued = \"x\"\n").find("key api.max_queued: expected an integer") !=
        std::string::npos);
  CHECK(error_of("read_timeout_ms = 1\n").find("key api.read_timeout_ms") != std::string::npos);
  CHECK(error_of("max_body_bytes = 10\n").find("key api.max_body_bytes") != std::string::npos);
  CHECK(
      error_of("cors_origins = \"https://a\"\n").find("key api.cors_origins: expected an array") !=
      std::string::npos);
  CHECK(error_of("cors_origins = [\"https://a.example/\"]\n")
            .find("key api.cors_origins[0]: must be an origin") != std::string::npos);
  CHECK(error_of("cors_origins = [\"app.example\"]\n")
            .find("key api.cors_origins[0]: must start with http:// or https://") !=
        std::string::npos);
  CHECK(error_of("cors_origins = [1]\n").find("key api.cors_origins[0]: expected a string") !=
        std::string::npos);
  CHECK(error_of("rate_limit_per_s = 10\nrate_limit_burst = 5\n")
            .find("key api.rate_limit_burst: must be >= api.rate_limit_per_s (10)") !=
        std::string::npos);
  CHECK(error_of("ready_max_lag_block = 3\n").find("did you mean api.ready_max_lag_blocks?") !=
        std::string::npos);
}
