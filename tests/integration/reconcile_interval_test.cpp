// reconcile.interval_s inside a real `claimsync run` (issue 14): a real anvil (ClaimNFT),
// a real PostgreSQL sink and the API on 127.0.0.1. With interval_s = 1 the node reconciles
// by itself at `finalized`: consistent first; after a membership row is deleted by hand,
// the next run finds the difference, /metrics shows claimsync_reconcile_differences >= 1,
// /v1/status the run, the log one line with next=; after the stop, `claimsync status`
// (reading the store) still shows it.
#include <catch2/catch.hpp>

#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/anvil.hpp"
#include "tests/support/guarantee_node.hpp"
#include "tests/support/guarantee_report.hpp"
#include "tests/support/metrics_text.hpp"
#include "tests/support/pg_cluster.hpp"
#include "tests/support/process.hpp"

namespace ct = claimsync::testing;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

int listening_port(const std::string& log_path) {
  const auto lines = ct::log_lines_with(log_path, {"event=api_listening"}, 1);
  if (lines.empty()) return 0;
  const std::size_t at = lines.front().find("port=");
  return at == std::string::npos ? 0 : std::atoi(lines.front().c_str() + at + 5);
}

std::string get(int port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2);
  c.set_read_timeout(5);
  auto r = c.Get(path.c_str());
  return r && r->status == 200 ? r->body : "";
}

json get_json(int port, const std::string& path) {
  return json::parse(get(port, path), nullptr, false);
}

// The node's log lines of `event` (e.g. "event=reconcile_run_done") that contain `also`.
std::vector<std::string> log_lines(const ct::NodeUnderTest& node, const std::string& event,
                                   const std::string& also) {
  std::vector<std::string> out;
  for (std::string& l : ct::log_lines_with(node.log_path(), {event}, 10'000))
    if (l.find(also) != std::string::npos) out.push_back(std::move(l));
  return out;
}

double metric(int port, const std::string& series) {
  return ct::sample_number(get(port, "/metrics"), series).value_or(-1);
}

}  // namespace

TEST_CASE("claimsync run reconciles every reconcile.interval_s: metrics, status, log",
          "[reconcile]") {
  ct::TempDir dir("claimsync-reconcile-interval");
  ct::Anvil chain;
  ct::PgCluster pg;
  const std::string nft = chain.deploy_claim_nft();
  const std::string wallet = chain.account(1);
  chain.mint(nft, wallet, 2, 1);
  // anvil's `finalized` is 64 blocks behind its head: put the mint below it.
  chain.mine(70);

  ct::GuaranteeNodeConfig config;
  config.rpc_url = chain.url();
  config.chain_id = chain.chain_id();
  config.contract = nft;
  config.confirmations = 0;
  config.data_dir = dir.file("data");
  config.sink_url = pg.url();
  const std::string config_path = dir.file("claimsync.toml");
  std::ofstream(config_path) << ct::render_node_config(config)
                             << "\n[api]\nenabled = true\nlisten = \"127.0.0.1:0\"\n"
                                "rate_limit_per_s = 0\n"
                                "\n[reconcile]\ninterval_s = 1\nbalance_concurrency = 2\n";
  ct::NodeUnderTest node(CLAIMSYNC_BINARY, config_path, dir.file("node.log"), dir.path());
  node.start();
  int port = 0;
  REQUIRE(ct::wait_until([&] { return (port = listening_port(node.log_path())) > 0; },
                         milliseconds(20'000), milliseconds(50)));
  INFO("port " << port << "\n" << node.log_tail(40));
  // The short interval is accepted, with a warning saying what it costs.
  CHECK(ct::wait_until([&] { return !log_lines(node, "event=reconcile_scheduled", "").empty(); },
                       milliseconds(5'000)));
  CHECK(log_lines(node, "event=reconcile_scheduled", "interval_s=1").size() == 1);

  // Replicated, then reconciled by itself: consistent.
  REQUIRE(ct::wait_until(
      [&] {
        const json w = get_json(port, "/v1/wallets/" + wallet);
        return w.is_object() && w.contains("current_level") && w["current_level"] == 2;
      },
      milliseconds(30'000), milliseconds(100)));
  REQUIRE(ct::wait_until(
      [&] {
        return metric(port, "claimsync_reconcile_runs_total{result=\"consistent\"}") >= 1 &&
               metric(port, "claimsync_reconcile_differences") == 0;
      },
      milliseconds(30'000), milliseconds(100)));
  CHECK(metric(port, "claimsync_reconcile_last_result{result=\"consistent\"}") == 1);
  CHECK(metric(port, "claimsync_reconcile_last_run_timestamp_seconds") > 1.7e9);

  // Someone deletes the member's row by hand: the next scheduled run finds it.
  pg.exec("DELETE FROM membership WHERE wallet_address = '" + wallet + "'", {});
  const bool found =
      ct::wait_until([&] { return metric(port, "claimsync_reconcile_differences") >= 1; },
                     milliseconds(30'000), milliseconds(100));
  INFO(get(port, "/metrics"));
  REQUIRE(found);
  CHECK(metric(port, "claimsync_reconcile_runs_total{result=\"differences\"}") >= 1);
  CHECK(metric(port, "claimsync_reconcile_last_result{result=\"differences\"}") == 1);
  const json st = get_json(port, "/v1/status");
  INFO(st.dump());
  REQUIRE(st.is_object());
  REQUIRE(st.at("reconcile").is_object());
  CHECK(st["reconcile"]["result"] == "differences");
  CHECK(st["reconcile"]["differences"] >= 1);
  CHECK(st["reconcile"]["trigger"] == "scheduled");
  CHECK(st["reconcile"]["at"] == "finalized");
  CHECK(st["reconcile"]["pin_block"].is_number());
  CHECK(st["reconcile"]["finished_at_ms"].get<std::int64_t>() > 0);
  const auto lines = log_lines(node, "event=reconcile_run_done", "result=differences");
  REQUIRE_FALSE(lines.empty());
  CHECK(lines[0].find("trigger=scheduled") != std::string::npos);
  CHECK(lines[0].find("next=") != std::string::npos);

  // Stopped promptly (the reconcile thread included); the store keeps the last run.
  CHECK(node.stop(milliseconds(20'000)) == 0);
  std::string diag;
  const std::optional<json> offline = node.status(&diag);
  INFO(diag);
  REQUIRE(offline);
  CHECK(offline->at("node").at("running") == false);
  REQUIRE(offline->at("reconcile").is_object());
  CHECK(offline->at("reconcile").at("result") == "differences");
}
