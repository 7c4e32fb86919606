// `claimsync reconcile --config FILE [--json] [--at finalized|safe|latest|BLOCK]
// [--samples N]`: the offline audit of issue 14. Opens the node's store itself (the node
// must be stopped: RocksDB's lock refuses a second opener and the command says so), pins
// one block, and compares sink vs outbox vs an independent mint-log sweep, with balances as
// a cross-check (node/reconcile/). Writes nothing.
//
// Exit codes: 0 consistent; 1 differences found; 2 could not complete (partial report, or
// the store / config could not be opened, or bad usage).
#include <iostream>

#include "node/chain_factory.hpp"
#include "node/cli_common.hpp"
#include "node/reconcile/reconcile_pin.hpp"
#include "node/reconcile/reconcile_run.hpp"
#include "rpc/logging.hpp"
#include "storage/node_store.hpp"
#include "storage/sink_snapshot.hpp"

namespace claimsync::node {
namespace {

constexpr int kExitIncomplete = 2;

constexpr const char* kDescription =
    "Audits the membership database against the chain at one pinned block: sink vs outbox\n"
    "(ledger rows, membership rows, members.current_level of every done claim; rows\n"
    "claimsync made without a live claim), outbox vs chain (an independent eth_getLogs sweep\n"
    "of the mints from chain.start_block to the pin) and, as information, balanceOfBatch of\n"
    "every known wallet x level (member and holder, member who no longer holds, holder by\n"
    "transfer). The node must be stopped (POST /v1/admin/reconcile: not yet). Writes nothing.\n"
    "Exit status: 0 consistent, 1 differences found, 2 could not complete (partial).";

std::unique_ptr<store::NodeStore> open_store(const Config& config) {
  auto opened = store::NodeStore::open_existing(config.storage.data_dir);
  if (!opened.ok()) {
    std::cerr << "claimsync reconcile: cannot open the node store at " << config.storage.data_dir
              << ": " << opened.status().to_string() << "\n";
    if (opened.status().code() == ErrorCode::kNotFound) {
      std::cerr << "Check storage.data_dir; the directory is created by 'claimsync run'.\n";
    } else {
      std::cerr << "If the node is running it holds the store: stop the node, or use POST "
                   "/v1/admin/reconcile (not yet).\n";
    }
    return nullptr;
  }
  const store::StoreIdentity id = (*opened)->identity();
  if (id.chain_id != config.chain.chain_id || id.contract != config.chain.contract ||
      id.start_block != config.chain.start_block) {
    std::cerr << "claimsync reconcile: " << config.storage.data_dir
              << " belongs to another chain id / contract / start block than the config\n";
    return nullptr;
  }
  return std::move(opened).value();
}

}  // namespace

int cmd_reconcile(const std::vector<std::string>& args) {
  CommonOptions common;
  ReconcileSettings settings;
  CommandLine cl("reconcile",
                 "claimsync reconcile [--config FILE] [--json] [--at finalized|safe|latest|BLOCK] "
                 "[--samples N]",
                 kDescription);
  add_common_options(cl.options, common);
  cl.options.add_options()(
      "at",
      po::value<std::string>(&settings.at)->value_name("TAG|BLOCK")->default_value("finalized"),
      "the block to compare at: finalized, safe, latest or a block number")(
      "samples", po::value<std::size_t>(&settings.samples)->value_name("N")->default_value(10),
      "samples printed per class");
  if (auto exit = parse_command_line(cl, args)) return *exit;
  if (auto at = parse_pin_at(settings.at); !at.ok())
    return usage_error(cl.name, at.status().message());
  std::optional<Config> config = open_config(cl.name, common.config_path);
  if (!config) return kExitUsage;
  if (config->log.level == "info") set_log_level(LogLevel::kWarn);  // the report is the output

  settings.chain_id = config->chain.chain_id;
  settings.contract = config->chain.contract;
  settings.start_block = config->chain.start_block;
  settings.levels = config->chain.levels;
  settings.log_chunk_blocks = config->rpc.logs_max_span;

  SystemClock clock;
  auto chain = open_chain_source(*config, clock, nullptr);
  if (!chain.ok()) return usage_error(cl.name, chain.status().message());
  std::unique_ptr<store::NodeStore> node_store = open_store(*config);
  if (!node_store) return kExitIncomplete;
  auto sink = store::open_sink_snapshot_reader(config->sink.url,
                                               store::SinkOptions{config->sink.call_timeout_ms});
  const std::string sink_error = sink.ok() ? "" : sink.status().to_string();
  ReconcileReport report = run_reconcile(**chain, *node_store, sink.ok() ? sink->get() : nullptr,
                                         sink_error, settings, clock);
  // Logged before the report, so that stderr never lands inside the JSON on a shared pipe.
  for (const std::string& reason : report.partial_reasons) {
    log_error("reconcile_partial",
              {{"reason", reason}, {"next", "fix the cause (RPC, database) and run it again"}});
  }
  if (common.json) {
    print_json(report.to_json());
  } else {
    std::cout << report.to_text();
  }
  std::cout.flush();
  return report.exit_code();
}

}  // namespace claimsync::node
