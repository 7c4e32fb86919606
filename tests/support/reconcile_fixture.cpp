#include "tests/support/reconcile_fixture.hpp"

#include <catch2/catch.hpp>

#include <fstream>

#include "node/chain_factory.hpp"
#include "node/follower.hpp"
#include "node/rescan.hpp"
#include "storage/membership_sink.hpp"

namespace claimsync::testing {

std::string ReconcileFixture::config(const std::string& name, const std::string& sink_url,
                                     const std::string& file, const std::string& extra) {
  const std::string path = dir.file((file.empty() ? name : file) + ".toml");
  std::ofstream(path) << "[chain]\n"
                      << "rpc_urls = [\"" << chain.url() << "\"]\n"
                      << "chain_id = 31337\n"
                      << "contract = \"" << nft << "\"\n"
                      << "levels = [1, 2, 3, 4, 5]\n"
                      << "confirmations = 0\n"
                      << "[rpc]\ntimeout_ms = 3000\nmax_retries = 1\nbackoff_initial_ms = 10\n"
                      << "[storage]\ndata_dir = \"" << dir.file(name) << "\"\n"
                      << "[sink]\nurl = \"" << sink_url << "\"\n"
                      << "[replicator]\nbackoff_initial_ms = 50\nbackoff_max_ms = 500\n"
                      << extra;
  return path;
}

node::Config ReconcileFixture::load(const std::string& path) {
  auto c = node::load_config(path);
  INFO(c.status().to_string());
  REQUIRE(c.ok());
  return *c;
}

std::unique_ptr<store::NodeStore> ReconcileFixture::open_store(const node::Config& c) {
  auto s = store::NodeStore::open(c.storage.data_dir,
                                  {c.chain.chain_id, c.chain.contract, c.chain.start_block});
  INFO(s.status().to_string());
  REQUIRE(s.ok());
  return std::move(s).value();
}

void ReconcileFixture::scan(const node::Config& c, store::NodeStore& s) {
  auto rpc = node::open_chain_source(c, clock, nullptr);
  REQUIRE(rpc.ok());
  node::RescanOptions o;
  o.from = 0;
  o.to = chain.block_number();
  auto r = node::rescan_range(**rpc, s, clock, node::follower_options(c), o);
  INFO(r.status().to_string());
  REQUIRE(r.ok());
}

void ReconcileFixture::replicate(store::NodeStore& s, const std::string& sink_url) {
  auto sink = store::open_sink(sink_url, /*migrate=*/true);
  INFO(sink.status().to_string());
  REQUIRE(sink.ok());
  auto due = s.due(clock.now_ms() + 1, 10'000);
  REQUIRE(due.ok());
  auto sent = s.mark_sent(store::SinkOp::kApply, *due);
  REQUIRE(sent.ok());
  store::SinkResult r = (*sink)->apply(*sent);
  INFO(r.status.to_string());
  REQUIRE(r.status.ok());
  REQUIRE(r.rejected.empty());
  REQUIRE(s.settle(store::SinkOp::kApply, *sent, clock.now_ms()).ok());
}

RunResult ReconcileFixture::reconcile(const std::string& config,
                                      const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {CLAIMSYNC_BINARY, "reconcile", "--config", config};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_command(argv, std::chrono::milliseconds(60'000));
}

nlohmann::json ReconcileFixture::reconcile_json(const std::string& config, int expected_exit,
                                                const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--json", "--at", "latest"};
  args.insert(args.end(), extra.begin(), extra.end());
  RunResult r = reconcile(config, args);
  INFO(r.output);
  CHECK(r.exit_code == expected_exit);
  const auto start = r.output.find("{\n");
  REQUIRE(start != std::string::npos);
  const auto end = r.output.find("\n}", start);
  REQUIRE(end != std::string::npos);
  return nlohmann::json::parse(r.output.substr(start, end + 2 - start));
}

}  // namespace claimsync::testing
