// A node that stops by itself must say why in `claimsync status` afterwards (issue 10: "a
// run that stalls must say why in its logs and status"). The follower stops the line on a
// reorg deeper than chain.reorg_window; the node exits 1 and logs follower_stopped; the
// offline status (the store plus fresh probes) must still carry that error.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>

#include "tests/support/anvil.hpp"
#include "tests/support/guarantee_node.hpp"
#include "tests/support/guarantee_report.hpp"
#include "tests/support/process.hpp"

namespace ct = claimsync::testing;
using std::chrono::milliseconds;

TEST_CASE("status after the follower stopped the line names the error", "[status]") {
  ct::TempDir dir("claimsync-status-after-stop");
  ct::Anvil chain;  // auto-mining: blocks only when the test mines them
  const std::string nft = chain.deploy_claim_nft();
  chain.mine(4);

  ct::GuaranteeNodeConfig config;
  config.rpc_url = chain.url();
  config.chain_id = chain.chain_id();
  config.contract = nft;
  config.start_block = 0;
  config.confirmations = 0;
  config.reorg_window = 2;
  config.data_dir = dir.file("data");
  config.sink_url = "sqlite://" + dir.file("sink.db");
  const std::string config_path = dir.file("claimsync.toml");
  std::ofstream(config_path) << ct::render_node_config(config);
  ct::NodeUnderTest node(CLAIMSYNC_BINARY, config_path, dir.file("node.log"), dir.path());
  node.start();

  const std::uint64_t head = chain.block_number();
  nlohmann::json status;
  std::string diagnostics;
  {
    const bool caught_up =
        ct::wait_caught_up(node, head, milliseconds(30'000), status, diagnostics);
    INFO(status.dump() << diagnostics << node.log_tail(40));
    REQUIRE(caught_up);
  }
  chain.reorg(5);  // deeper than the window of 2 stored blocks: the line stops
  chain.mine(1);
  const bool exited =
      ct::wait_until([&] { return !node.running(); }, milliseconds(30'000), milliseconds(100));
  INFO(node.log_tail(40));
  REQUIRE(exited);
  REQUIRE(ct::log_lines_with(node.log_path(), {"event=follower_stopped"}, 1).size() == 1);

  auto offline = node.status(&diagnostics);
  INFO(diagnostics);
  REQUIRE(offline);
  INFO(offline->dump(2));
  CHECK_FALSE(offline->at("node").at("running").get<bool>());
  const std::string why = ct::stall_reason(*offline);
  CHECK(why.find("reorg deeper than the stored window") != std::string::npos);

  // The next start that gets past the error clears it: a fresh life is not blamed for an
  // old one. (Here the error stays: the same deep reorg stops the line again.)
  node.start();
  const bool exited_again =
      ct::wait_until([&] { return !node.running(); }, milliseconds(30'000), milliseconds(100));
  REQUIRE(exited_again);
  auto again = node.status(&diagnostics);
  REQUIRE(again);
  CHECK(ct::stall_reason(*again).find("reorg deeper") != std::string::npos);
}
