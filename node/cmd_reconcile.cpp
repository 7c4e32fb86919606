// `claimsync reconcile --config FILE [--json] [--at finalized|safe|latest|BLOCK]
// [--samples N] [--repair] [--import-origin-queue TABLE [--import-retry-s S]]
// [--repair-wait-s S]`: the offline audit of issue 14. Opens the node's store itself (the
// node must be stopped: RocksDB's lock refuses a second opener and the command says so; a
// running node serves the read-only report as POST /v1/admin/reconcile), pins one block,
// and compares sink vs outbox vs an independent mint-log sweep, with balances as a
// cross-check (node/reconcile/). Writes nothing without --repair or --import-origin-queue:
//   * --import-origin-queue first verifies every tx hash of an origin deployment's queue
//     table as a hint and ingests the real mints the store lacks
//     (node/reconcile/origin_queue_import.hpp), drives the replicator until they settle
//     (bounded by --repair-wait-s), and then runs the comparison, so the report shows the
//     database after the import;
//   * --repair then repairs what the chain proves through the store and the replicator
//     (node/reconcile/reconcile_repair.hpp).
//
// Exit codes: 0 consistent (with --import-origin-queue: after the import); 1 differences
// found (with --repair: and repaired what the chain proves; run again to confirm); 2 could
// not complete (partial report: also tx hashes the import could not verify, or imported /
// repaired claims not settled in time; the store / config / import table could not be
// opened, or bad usage); 3 --repair refused (differences above
// reconcile.max_repair_fraction), nothing changed.
#include <unistd.h>

#include <iostream>

#include "node/chain_factory.hpp"
#include "node/cli_common.hpp"
#include "node/intake/intake_options.hpp"
#include "node/reconcile/origin_queue_import.hpp"
#include "node/reconcile/origin_queue_table.hpp"
#include "node/reconcile/reconcile_pin.hpp"
#include "node/reconcile/reconcile_repair.hpp"
#include "node/reconcile/reconcile_run.hpp"
#include "node/reconcile/replicator_drive.hpp"
#include "rpc/logging.hpp"
#include "storage/membership_sink.hpp"
#include "storage/node_store.hpp"
#include "storage/sink_lease.hpp"
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
    "transfer). The node must be stopped (while it runs, POST /v1/admin/reconcile gives the\n"
    "same report, read only). Writes nothing unless --repair: then missing claims are\n"
    "ingested (source reconcile), sink rows that disagree with a done claim are re-applied\n"
    "and claimsync's own rows without a mint are revoked, by the replicator's normal path;\n"
    "rows claimsync did not create are never touched. It refuses when the differences exceed\n"
    "reconcile.max_repair_fraction.\n"
    "--import-origin-queue TABLE adopts a deployment of the origin design: every tx_hash of\n"
    "TABLE (its claim_sync_queue, renamed as 'claimsync migrate' says) in sink.url's\n"
    "database is verified on chain; real mints of the contract the store lacks are\n"
    "ingested (source reconcile) and replicated before the comparison runs; the report\n"
    "says which were ingested, already known, or not a mint (placeholder, no_receipt,\n"
    "reverted, foreign). Run it again until it exits 0.\n"
    "Exit status: 0 consistent, 1 differences found (and repaired, with --repair), 2 could\n"
    "not complete (partial), 3 repair refused (too many differences; nothing changed).";

std::unique_ptr<store::NodeStore> open_store(const Config& config) {
  auto opened = store::NodeStore::open_existing(config.storage.data_dir);
  if (!opened.ok()) {
    std::cerr << "claimsync reconcile: cannot open the node store at " << config.storage.data_dir
              << ": " << opened.status().to_string() << "\n";
    if (opened.status().code() == ErrorCode::kNotFound) {
      std::cerr << "Check storage.data_dir; the directory is created by 'claimsync run'.\n";
    } else {
      std::cerr << "If the node is running it holds the store: stop the node, or use POST "
                   "/v1/admin/reconcile for the read-only report.\n";
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

// --repair: the replicator writes to the sink opened here (not migrated: the audit just
// read its schema).
void repair_now(const Config& config, eth::ChainSource& chain, store::NodeStore& node_store,
                const ReconcileInputs& inputs, std::int64_t wait_s, Clock& clock,
                ReconcileReport& report) {
  RepairOptions options;
  options.max_fraction = config.reconcile.max_repair_fraction;
  options.wait_ms = wait_s * 1000;
  options.replicator = config.replicator;
  if (!report.complete()) {  // exit 2 says why; nothing is changed
    report.repair.emplace().refused_reason =
        "the report is partial: nothing is repaired without a full comparison";
    return;
  }
  auto sink =
      store::open_sink(config.sink.url, /*migrate=*/false, {config.sink.call_timeout_ms, nullptr});
  if (!sink.ok()) {
    report.partial_reasons.push_back("repair: sink: " + sink.status().to_string());
    return;
  }
  run_repair(chain, node_store, **sink, inputs, options, clock, report,
             [](const std::string& line) { std::cerr << line << "\n"; });
}

// --import-origin-queue: reads the table, verifies its hashes and drives the replicator
// over the claims ingested. nullopt (the error printed, nothing changed) when the table
// cannot be read.
std::optional<OriginImportSummary> import_origin_queue(const Config& config,
                                                       eth::ChainSource& chain,
                                                       store::NodeStore& node_store,
                                                       const std::string& table,
                                                       std::int64_t retry_s, std::int64_t wait_s,
                                                       std::size_t samples, Clock& clock) {
  OriginImportOptions options;
  options.intake = intake_options(config);
  options.retry_ms = retry_s * 1000;
  options.samples = samples;
  OriginQueueImport importer(table, options);
  Status read = read_origin_queue(config.sink.url, table, config.sink.call_timeout_ms,
                                  [&](std::optional<std::string_view> v) { importer.add_row(v); });
  if (!read.ok()) {
    std::cerr << "claimsync reconcile: --import-origin-queue " << table << ": " << read.message()
              << "\nNothing was changed.\n";
    return std::nullopt;
  }
  auto progress = [](const std::string& line) { std::cerr << line << "\n"; };
  importer.verify(chain, node_store, clock, progress);
  OriginImportSummary& summary = importer.summary();
  const std::vector<store::ClaimKey>& keys = importer.ingested_keys();
  summary.unsettled = keys.size();
  if (keys.empty()) return summary;
  auto sink =
      store::open_sink(config.sink.url, /*migrate=*/false, {config.sink.call_timeout_ms, nullptr});
  if (!sink.ok()) {
    log_error("reconcile_import_not_replicated",
              {{"claims", keys.size()},
               {"reason", sink.status().to_string()},
               {"next", "the claims stay due: claimsync run replicates them"}});
    return summary;
  }
  DriveOptions drive;
  drive.wait_ms = wait_s * 1000;
  drive.label = "reconcile import";
  drive.replicator = config.replicator;
  const DriveResult settled = drive_replicator(node_store, **sink, keys, drive, clock, progress);
  summary.settled = settled.settled;
  summary.unsettled = settled.unsettled;
  return summary;
}

}  // namespace

int cmd_reconcile(const std::vector<std::string>& args) {
  CommonOptions common;
  ReconcileSettings settings;
  bool repair = false;
  std::int64_t repair_wait_s = 300;
  std::string import_table;
  std::int64_t import_retry_s = 10;
  CommandLine cl("reconcile",
                 "claimsync reconcile [--config FILE] [--json] [--at finalized|safe|latest|BLOCK] "
                 "[--samples N] [--repair] [--import-origin-queue TABLE [--import-retry-s S]] "
                 "[--repair-wait-s S]",
                 kDescription);
  add_common_options(cl.options, common);
  cl.options.add_options()(
      "at",
      po::value<std::string>(&settings.at)->value_name("TAG|BLOCK")->default_value("finalized"),
      "the block to compare at: finalized, safe, latest or a block number")(
      "samples", po::value<std::size_t>(&settings.samples)->value_name("N")->default_value(10),
      "samples printed per class")(
      "repair", po::bool_switch(&repair),
      "repair what the chain proves (see above); refuses above reconcile.max_repair_fraction")(
      "import-origin-queue", po::value<std::string>(&import_table)->value_name("TABLE"),
      "first verify and ingest the tx hashes of an origin claim_sync_queue renamed to TABLE "
      "(name or schema.name) in sink.url's database")(
      "import-retry-s",
      po::value<std::int64_t>(&import_retry_s)->value_name("S")->default_value(10),
      "with --import-origin-queue: how long an unknown or unreadable tx is re-checked")(
      "repair-wait-s", po::value<std::int64_t>(&repair_wait_s)->value_name("S")->default_value(300),
      "with --repair or --import-origin-queue: how long the replicator may take to settle the "
      "claims");
  if (auto exit = parse_command_line(cl, args)) return *exit;
  if (!import_table.empty()) {
    if (auto parts = parse_table_name(import_table); !parts.ok())
      return usage_error(cl.name, "--import-origin-queue: " + parts.status().message());
  }
  if (import_retry_s < 1 || import_retry_s > 3'600)
    return usage_error(cl.name, "--import-retry-s must be between 1 and 3600");
  if (auto at = parse_pin_at(settings.at); !at.ok())
    return usage_error(cl.name, at.status().message());
  if (repair_wait_s < 1 || repair_wait_s > 86'400)
    return usage_error(cl.name, "--repair-wait-s must be between 1 and 86400");
  std::optional<Config> config = open_config(cl.name, common.config_path);
  if (!config) return kExitUsage;
  if (config->log.level == "info") set_log_level(LogLevel::kWarn);  // the report is the output

  {
    const ReconcileSettings from_config = reconcile_settings(*config);
    settings.chain_id = from_config.chain_id;
    settings.contract = from_config.contract;
    settings.start_block = from_config.start_block;
    settings.levels = from_config.levels;
    settings.log_chunk_blocks = from_config.log_chunk_blocks;
    settings.balances.concurrency = from_config.balances.concurrency;
  }

  SystemClock clock;
  auto chain = open_chain_source(*config, clock, nullptr);
  if (!chain.ok()) return usage_error(cl.name, chain.status().message());
  std::unique_ptr<store::NodeStore> node_store = open_store(*config);
  if (!node_store) return kExitIncomplete;
  // An active/standby pair ([ha]): writing beside the pair's active node would go around its
  // fence. The command takes the pair's lease for its writes (a node started meanwhile stands
  // by) and refuses while a node holds it.
  std::unique_ptr<store::SinkLease> lease;
  const std::string lease_key =
      std::to_string(config->chain.chain_id) + ":" + config->chain.contract.lower_hex();
  const std::string lease_holder = "claimsync-reconcile/" + std::to_string(::getpid());
  std::int64_t lease_token = 0;
  if (config->ha.enabled && (repair || !import_table.empty())) {
    lease = store::open_postgres_lease(config->sink.url, {config->sink.call_timeout_ms, nullptr});
    const std::int64_t ttl_ms = (repair_wait_s + import_retry_s) * 1000 + 600'000;
    auto taken = lease->acquire(lease_key, lease_holder, ttl_ms);
    if (!taken.ok() || !taken->held) {
      std::cerr << "claimsync reconcile: [ha] is enabled and "
                << (taken.ok() ? "node " + taken->holder + " holds the pair's lease"
                               : "the pair's lease cannot be read: " + taken.status().to_string())
                << ": --repair and --import-origin-queue write to the database beside it.\n"
                << "Stop both nodes of the pair (a clean stop releases the lease at once), "
                   "then run it again; a plain reconcile (read only) works at any time.\n";
      return kExitIncomplete;
    }
    lease_token = taken->token;
  }
  struct LeaseRelease {
    store::SinkLease* lease;
    const std::string& key;
    const std::string& holder;
    const std::int64_t& token;
    ~LeaseRelease() {
      if (lease != nullptr && token != 0) (void)lease->release(key, holder, token);
    }
  } release_at_exit{lease.get(), lease_key, lease_holder, lease_token};
  std::optional<OriginImportSummary> imported;
  if (!import_table.empty()) {
    imported = import_origin_queue(*config, **chain, *node_store, import_table, import_retry_s,
                                   repair_wait_s, settings.samples, clock);
    if (!imported) return kExitIncomplete;
  }
  auto sink = store::open_sink_snapshot_reader(config->sink.url,
                                               store::SinkOptions{config->sink.call_timeout_ms});
  const std::string sink_error = sink.ok() ? "" : sink.status().to_string();
  ReconcileInputs inputs;
  ReconcileReport report = run_reconcile(**chain, *node_store, sink.ok() ? sink->get() : nullptr,
                                         sink_error, settings, clock, &inputs);
  if (imported) add_origin_import(std::move(*imported), report);
  if (repair) repair_now(*config, **chain, *node_store, inputs, repair_wait_s, clock, report);
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
