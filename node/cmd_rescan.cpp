// `claimsync rescan --from A --to B [--rollback]`: the operator's idempotent re-scan of a
// block range (DESIGN §6), offline: the node must be stopped (RocksDB's lock refuses a
// second opener and the command says so). Reports the claims found, new and already known.
//
// Exit codes: 0 done; 1 the chain or the store failed, or the chain reorganised below
// --from (rerun with --rollback); 2 bad usage or a range the node cannot take.
#include <filesystem>
#include <iostream>

#include "node/chain_factory.hpp"
#include "node/cli_common.hpp"
#include "node/follower.hpp"
#include "node/rescan.hpp"
#include "storage/node_store.hpp"

namespace claimsync::node {
namespace {

constexpr const char* kDescription =
    "Scans blocks A..B of the configured contract again, the way the follower does, and adds\n"
    "every mint it finds to the outbox (known claims only gain the 'rescan' source): running\n"
    "it twice changes nothing more. B must not be above the finality target. The node must be\n"
    "stopped. With --rollback the store is first rolled back to block A-1 (claims above are\n"
    "orphaned, or revoked if already replicated, until the rescan finds them again): the way\n"
    "out of a reorg deeper than chain.reorg_window.";

Result<std::unique_ptr<store::NodeStore>> open_node_store(const Config& config) {
  if (!std::filesystem::exists(config.storage.data_dir)) {
    return error(ErrorCode::kNotFound, "no data dir at " + config.storage.data_dir +
                                           "; check storage.data_dir (claimsync run creates it)");
  }
  const store::StoreIdentity identity{config.chain.chain_id, config.chain.contract,
                                      config.chain.start_block};
  return store::NodeStore::open(config.storage.data_dir, identity);
}

nlohmann::json report_json(const RescanReport& r) {
  nlohmann::json j = {{"from", r.from},       {"to", r.to},
                      {"ranges", r.ranges},   {"found", r.found},
                      {"new", r.created},     {"known", r.known},
                      {"revived", r.revived}, {"rolled_back", r.rolled_back}};
  if (r.rolled_back) {
    j["rollback"] = {{"orphaned", r.rollback.orphaned},
                     {"revoking", r.rollback.revoking},
                     {"blocks_dropped", r.rollback.blocks_dropped}};
  }
  j["checkpoint"] = r.checkpoint ? nlohmann::json(*r.checkpoint) : nlohmann::json(nullptr);
  return j;
}

void print_report(const RescanReport& r) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"range", std::to_string(r.from) + ".." + std::to_string(r.to)},
      {"found", std::to_string(r.found)},
      {"new", std::to_string(r.created)},
      {"known", std::to_string(r.known) + " (" + std::to_string(r.revived) + " revived)"}};
  if (r.rolled_back) {
    fields.emplace_back("rolled back", std::to_string(r.rollback.orphaned) + " orphaned, " +
                                           std::to_string(r.rollback.revoking) + " revoking");
  }
  fields.emplace_back("checkpoint", r.checkpoint ? std::to_string(*r.checkpoint) : "none");
  print_fields(fields);
}

}  // namespace

int cmd_rescan(const std::vector<std::string>& args) {
  CommonOptions common;
  RescanOptions options;
  CommandLine cl("rescan", "claimsync rescan --from A --to B [--rollback] [--config FILE] [--json]",
                 kDescription);
  add_common_options(cl.options, common);
  cl.options.add_options()("from", po::value<std::uint64_t>(&options.from)->required(),
                           "first block to scan (A)")(
      "to", po::value<std::uint64_t>(&options.to)->required(), "last block to scan (B)")(
      "rollback", po::bool_switch(&options.rollback), "roll the store back to A-1 first");
  if (auto exit = parse_command_line(cl, args)) return *exit;
  if (options.from > options.to) return usage_error(cl.name, "--from must not be above --to");
  std::optional<Config> config = open_config(cl.name, common.config_path);
  if (!config) return kExitUsage;

  SystemClock clock;
  auto chain = open_chain_source(*config, clock, nullptr);
  if (!chain) return usage_error(cl.name, chain.status().message());
  auto node_store = open_node_store(*config);
  if (!node_store) {
    std::cerr << "claimsync rescan: cannot open the node store: " << node_store.status().to_string()
              << "\n  the node must be stopped while rescan runs\n";
    return kExitFailure;
  }
  auto report = rescan_range(**chain, **node_store, clock, follower_options(*config), options);
  if (!report) {
    std::cerr << "claimsync rescan: " << report.status().to_string() << "\n";
    return report.status().code() == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  if (common.json) {
    print_json(report_json(*report));
  } else {
    print_report(*report);
  }
  return kExitOk;
}

}  // namespace claimsync::node
