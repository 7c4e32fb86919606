// `claimsync run` with chain.ws_urls (issue 11): the newHeads subscription is wired into the
// node, shows in `status`, and is only a hint: when the socket is dropped and cannot be
// re-established, polling keeps every claim coming; when the endpoint serves again, the
// node re-subscribes by itself.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>

#include "tests/support/anvil.hpp"
#include "tests/support/guarantee_node.hpp"
#include "tests/support/guarantee_report.hpp"
#include "tests/support/process.hpp"
#include "tests/support/ws_fault_server.hpp"

namespace ct = claimsync::testing;
using std::chrono::milliseconds;

namespace {

struct Observed {
  std::uint64_t done = 0;
  bool connected = false;
  std::uint64_t heads = 0;
  std::uint64_t reconnects = 0;
  std::string text;
};

Observed observe(const ct::NodeUnderTest& node) {
  Observed o;
  std::string diagnostics;
  auto status = node.status(&diagnostics);
  if (!status) {
    o.text = diagnostics;
    return o;
  }
  o.text = status->dump();
  o.done = status->at("claims").at("done").get<std::uint64_t>();
  const auto& sub = status->at("subscription");
  if (sub.is_object()) {
    o.connected = sub.at("connected").get<bool>();
    o.heads = sub.at("heads").get<std::uint64_t>();
    o.reconnects = sub.at("reconnects").get<std::uint64_t>();
  }
  return o;
}

}  // namespace

TEST_CASE(
    "claimsync run: newHeads is a hint; a dropped socket falls back to polling and "
    "reconnects",
    "[new_heads]") {
  ct::TempDir dir("claimsync-new-heads-node");
  ct::Anvil chain;  // auto-mining: one block per transaction
  const std::string nft = chain.deploy_claim_nft();
  ct::WsFaultServer proxy("ws://127.0.0.1:" + std::to_string(chain.port()));

  ct::GuaranteeNodeConfig config;
  config.rpc_url = chain.url();
  config.chain_id = chain.chain_id();
  config.contract = nft;
  config.start_block = 0;
  config.confirmations = 0;
  config.poll_interval_ms = 300;
  config.ws_urls = {proxy.url()};
  config.data_dir = dir.file("data");
  config.sink_url = "sqlite://" + dir.file("sink.db");
  const std::string config_path = dir.file("claimsync.toml");
  std::ofstream(config_path) << ct::render_node_config(config);
  ct::NodeUnderTest node(CLAIMSYNC_BINARY, config_path, dir.file("node.log"), dir.path());
  node.start();

  Observed o;
  auto wait_for = [&](auto cond) {
    return ct::wait_until(
        [&] {
          o = observe(node);
          return cond(o);
        },
        milliseconds(30'000), milliseconds(100));
  };

  // 1. Subscribed: heads arrive, claims are replicated.
  REQUIRE(wait_for([](const Observed& s) { return s.connected; }));
  chain.mint(nft, chain.account(1), 1, 1);
  {
    const bool ok = wait_for([](const Observed& s) { return s.done == 1 && s.heads >= 1; });
    INFO(o.text << node.log_tail(30));
    REQUIRE(ok);
  }

  // 2. The socket is cut and every new handshake hangs (a silent endpoint): the node says
  //    it is not subscribed, and polling still brings the next claims in.
  proxy.set_mode(ct::WsFaultServer::Mode::kStall);
  proxy.drop_all();
  {
    const bool down = wait_for([](const Observed& s) { return !s.connected; });
    INFO(o.text << node.log_tail(30));
    REQUIRE(down);
  }
  const std::uint64_t heads_before = o.heads;
  chain.mint(nft, chain.account(2), 2, 1);
  chain.mint(nft, chain.account(3), 3, 1);
  {
    const bool ok = wait_for([](const Observed& s) { return s.done == 3; });
    INFO(o.text << node.log_tail(30));
    REQUIRE(ok);
  }
  CHECK(o.heads == heads_before);  // these came by polling
  CHECK(ct::log_lines_with(node.log_path(), {"event=ws_dropped"}, 1).size() >= 1);

  // 3. The endpoint serves again: the node re-subscribes by itself, heads flow again.
  proxy.set_mode(ct::WsFaultServer::Mode::kPass);
  {
    const bool up = wait_for([](const Observed& s) { return s.connected && s.reconnects >= 1; });
    INFO(o.text << node.log_tail(30));
    REQUIRE(up);
  }
  chain.mint(nft, chain.account(4), 4, 1);
  {
    const bool ok =
        wait_for([&](const Observed& s) { return s.done == 4 && s.heads > heads_before; });
    INFO(o.text << node.log_tail(30));
    REQUIRE(ok);
  }
  CHECK(node.stop(milliseconds(20'000)) == 0);
}
