// `claimsync status --config FILE [--json]`: progress, holes, claims by state, errors.
// Works while the node runs (reads the snapshot the node writes each second) and while it
// is stopped (reads the store and probes the RPC and the database itself).
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <iostream>

#include "node/chain_factory.hpp"
#include "node/cli_common.hpp"
#include "node/daemon.hpp"
#include "node/finality.hpp"
#include "node/status_report.hpp"
#include "rpc/clock.hpp"
#include "rpc/logging.hpp"
#include "storage/membership_sink.hpp"
#include "storage/node_store.hpp"

namespace claimsync::node {
namespace {

// The running node's snapshot, if the file exists, parses, and its pid is alive.
std::optional<StatusReport> running_snapshot(const Config& config, std::int64_t now_ms) {
  const std::string path = status_snapshot_path(config);
  std::ifstream in(path);
  if (!in) return std::nullopt;
  try {
    StatusReport r = StatusReport::from_json(nlohmann::json::parse(in));
    if (!r.running || !r.pid || ::kill(static_cast<pid_t>(*r.pid), 0) != 0) return std::nullopt;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0)
      r.snapshot_age_ms =
          std::max<std::int64_t>(0, now_ms - static_cast<std::int64_t>(st.st_mtime) * 1000);
    return r;
  } catch (const std::exception&) {
    return std::nullopt;  // a torn or foreign file: fall back to reading the store
  }
}

// The final snapshot of a node that stopped the line (follower fatal: its last_error is the
// follower's error). The offline report is rebuilt from the store and fresh probes, which
// know nothing of why the last run ended; without this, a node that exited 1 by itself
// reads as merely stopped.
std::optional<std::string> last_run_fatal(const Config& config) {
  std::ifstream in(status_snapshot_path(config));
  if (!in) return std::nullopt;
  try {
    const StatusReport r = StatusReport::from_json(nlohmann::json::parse(in));
    if (r.running || r.follower_error.empty() || r.last_error != r.follower_error)
      return std::nullopt;
    return r.follower_error;
  } catch (const std::exception&) {
    return std::nullopt;  // a torn or foreign file says nothing
  }
}

// Probes the chain with short timeouts: the operator wants an answer, not retries.
void probe_chain(const Config& config, StatusReport& r) {
  Config quick = config;
  quick.rpc.timeout_ms = std::min<std::int64_t>(config.rpc.timeout_ms, 3000);
  quick.rpc.max_retries = 0;
  SystemClock clock;
  auto chain = open_chain_source(quick, clock, nullptr);
  if (!chain.ok()) {
    r.rpc_reachable = false;
    r.follower_error = chain.status().to_string();
    return;
  }
  auto t = finality_target(**chain, config.chain.finality, config.chain.confirmations);
  r.rpc_reachable = t.ok();
  if (!t.ok()) {
    r.follower_error = t.status().to_string();
    return;
  }
  r.head = t->head;
  r.target = t->target;
}

void probe_db(const Config& config, StatusReport& r) {
  auto sink = store::open_sink(config.sink.url, /*migrate=*/false);
  Status st = sink.ok() ? (*sink)->ping() : sink.status();
  r.db_reachable = st.ok();
  if (!st.ok()) r.db_error = st.to_string();
}

bool same_identity(const store::StoreIdentity& a, const Config& c) {
  return a.chain_id == c.chain.chain_id && a.contract == c.chain.contract &&
         a.start_block == c.chain.start_block;
}

void print(const StatusReport& r, bool json) {
  if (json) {
    print_json(r.to_json());
  } else {
    std::cout << r.to_text();
  }
}

}  // namespace

int cmd_status(const std::vector<std::string>& args) {
  CommonOptions common;
  CommandLine cl("status", "claimsync status [--config FILE] [--json]",
                 "Shows chain head vs checkpoint (lag), scanned-range holes, claims by state, "
                 "the oldest pending age, the last error and whether the database is reachable. "
                 "Works while the node runs or is stopped.");
  add_common_options(cl.options, common);
  if (auto exit = parse_command_line(cl, args)) return *exit;
  auto config = open_config(cl.name, common.config_path);
  if (!config) return kExitUsage;
  // The probes' routine info lines (endpoint verified, ...) would clutter the report.
  if (config->log.level == "info") set_log_level(LogLevel::kWarn);
  SystemClock clock;
  const std::int64_t now = clock.now_ms();

  if (auto live = running_snapshot(*config, now)) {
    print(*live, common.json);
    return kExitOk;
  }
  auto store = store::NodeStore::open_existing(config->storage.data_dir);
  if (!store.ok()) {
    if (store.status().code() == ErrorCode::kNotFound) {
      std::cerr << "claimsync status: no node state in " << config->storage.data_dir
                << " yet: the node has not run with this config. Start it with "
                   "`claimsync run --config "
                << common.config_path << "`.\n";
    } else {
      std::cerr << "claimsync status: cannot read " << config->storage.data_dir << ": "
                << store.status().to_string() << "\n";
    }
    return kExitFailure;
  }
  if (!same_identity((*store)->identity(), *config)) {
    std::cerr << "claimsync status: " << config->storage.data_dir
              << " belongs to another chain id / contract / start block than the config\n";
    return kExitFailure;
  }
  StatusReport report = store_status(**store, now);
  store.value().reset();  // release the lock before the (slower) probes
  probe_chain(*config, report);
  probe_db(*config, report);
  if (auto fatal = last_run_fatal(*config)) {
    report.last_error = "the last run stopped the line: " + *fatal;
    if (report.follower_error.empty()) report.follower_error = *fatal;
  }
  print(report, common.json);
  return kExitOk;
}

}  // namespace claimsync::node
