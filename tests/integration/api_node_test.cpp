// A real `claimsync run` with api.enabled on 127.0.0.1 (port 0, read from its log), a real
// anvil and a SQLite sink: /healthz, /v1/status, /readyz turning 200 once caught up, and
// GET /v1/wallets / /v1/claims after a mint, POST /v1/admin/reconcile (a consistent report).
#include <catch2/catch.hpp>

#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

#include "tests/support/anvil.hpp"
#include "tests/support/guarantee_node.hpp"
#include "tests/support/guarantee_report.hpp"
#include "tests/support/process.hpp"

namespace ct = claimsync::testing;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

// The port of the node's `api_listening` log line, 0 while there is none.
int listening_port(const std::string& log_path) {
  const auto lines = ct::log_lines_with(log_path, {"event=api_listening"}, 1);
  if (lines.empty()) return 0;
  const std::size_t at = lines.front().find("port=");
  return at == std::string::npos ? 0 : std::atoi(lines.front().c_str() + at + 5);
}

std::optional<json> get_json(int port, const std::string& path, int* status = nullptr) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2);
  c.set_read_timeout(5);
  auto r = c.Get(path.c_str());
  if (!r) return std::nullopt;
  if (status != nullptr) *status = r->status;
  json j = json::parse(r->body, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

}  // namespace

TEST_CASE("claimsync run serves the API: health, status, readiness, wallet after a mint", "[api]") {
  ct::TempDir dir("claimsync-api-node");
  ct::Anvil chain;
  const std::string nft = chain.deploy_claim_nft();
  chain.mine(4);

  ct::GuaranteeNodeConfig config;
  config.rpc_url = chain.url();
  config.chain_id = chain.chain_id();
  config.contract = nft;
  config.confirmations = 0;
  config.data_dir = dir.file("data");
  config.sink_url = "sqlite://" + dir.file("sink.db");
  const std::string config_path = dir.file("claimsync.toml");
  std::ofstream(config_path)
      << ct::render_node_config(config)
      << "\n[api]\nenabled = true\nlisten = \"127.0.0.1:0\"\n"
         "rate_limit_per_s = 0\nadmin_token_env = \"CLAIMSYNC_API_NODE_TEST_TOKEN\"\n";
  ::setenv("CLAIMSYNC_API_NODE_TEST_TOKEN", "api-node-test-token-1", 1);  // the node inherits it
  ct::NodeUnderTest node(CLAIMSYNC_BINARY, config_path, dir.file("node.log"), dir.path());
  node.start();

  int port = 0;
  REQUIRE(ct::wait_until([&] { return (port = listening_port(node.log_path())) > 0; },
                         milliseconds(20'000), milliseconds(50)));
  INFO("port " << port << "\n" << node.log_tail(30));
  int status = 0;
  REQUIRE(ct::wait_until([&] { return get_json(port, "/healthz", &status) && status == 200; },
                         milliseconds(10'000), milliseconds(50)));

  // /readyz turns 200 once the follower has caught up with the chain.
  const bool ready =
      ct::wait_until([&] { return get_json(port, "/readyz", &status) && status == 200; },
                     milliseconds(30'000), milliseconds(100));
  INFO(get_json(port, "/readyz").value_or(json()).dump());
  REQUIRE(ready);

  auto st = get_json(port, "/v1/status", &status);
  REQUIRE(st);
  CHECK(status == 200);
  CHECK(st->at("chain").at("chain_id") == chain.chain_id());
  CHECK(st->at("node").at("running") == true);
  CHECK(st->contains("claims"));
  CHECK(st->contains("caught_up"));

  const std::string wallet = chain.account(1);
  auto w = get_json(port, "/v1/wallets/" + wallet, &status);
  REQUIRE(w);
  CHECK(status == 200);
  CHECK(w->at("active") == false);

  const std::string tx = chain.mint(nft, wallet, 3, 1);
  chain.mine(1);
  const bool active = ct::wait_until(
      [&] {
        auto v = get_json(port, "/v1/wallets/" + wallet, &status);
        return v && status == 200 && v->at("current_level") == 3;
      },
      milliseconds(30'000), milliseconds(100));
  INFO(get_json(port, "/v1/wallets/" + wallet).value_or(json()).dump());
  REQUIRE(active);
  auto claims = get_json(port, "/v1/claims/" + tx, &status);
  REQUIRE(claims);
  CHECK(status == 200);
  REQUIRE(claims->at("claims").size() == 1);
  CHECK(claims->at("claims")[0].at("state") == "done");
  CHECK(claims->at("claims")[0].at("sources") == "scan");
  CHECK(get_json(port, "/readyz", &status));
  CHECK(status == 200);

  // POST /v1/admin/reconcile: the running node's own audit (the store it holds, the sink,
  // the chain) says it is consistent.
  {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(30);
    auto r = c.Post("/v1/admin/reconcile",
                    httplib::Headers{{"Authorization", "Bearer api-node-test-token-1"}},
                    R"({"at": "latest"})", "application/json");
    REQUIRE(r);
    INFO(r->body);
    CHECK(r->status == 200);
    const json report = json::parse(r->body, nullptr, false);
    REQUIRE(report.is_object());
    CHECK(report.at("result") == "consistent");
    CHECK(report.at("store_claims") == 1);
    CHECK(report.at("chain_claims") == 1);
    CHECK(report.at("info").at("member_holder").at("count") == 1);
  }

  // The live node's /metrics passes promtool, and shows what just happened.
  {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(5);
    auto m = c.Get("/metrics");
    REQUIRE(m);
    CHECK(m->status == 200);
    CHECK(m->get_header_value("Content-Type").find("version=0.0.4") != std::string::npos);
    CHECK(m->body.find("claimsync_claims{state=\"done\"} 1") != std::string::npos);
    CHECK(m->body.find("claimsync_rpc_requests_total{") != std::string::npos);
    const std::string path = dir.file("metrics.txt");
    std::ofstream(path) << m->body;
    auto check = ct::run_command({"sh", "-c", "promtool check metrics < '" + path + "'"});
    INFO(check.output);
    CHECK(check.exit_code == 0);
  }

  const auto t0 = std::chrono::steady_clock::now();
  CHECK(node.stop(milliseconds(15'000)) == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < milliseconds(10'000));
  CHECK(ct::log_lines_with(node.log_path(), {"event=api_stopped"}, 1).size() == 1);
}
