// Daemon: `claimsync run`. Wires the store, the chain client, the sink, the follower and
// the replicator, runs them on two threads until stopped, and publishes a status snapshot.
//
// Contract:
//   * Starts with the database down (the replicator waits and retries; LazySink) and with
//     the RPC down (the follower waits and says so). Refuses to start, exit 1, when the
//     data dir belongs to another chain/contract or is locked by another process.
//   * On stop (SIGINT/SIGTERM/SIGHUP → StopFlag) each thread finishes its unit of work in flight
//     (a range commit, a replication batch); every store write is already synced. A sink
//     call in flight is abandoned at once (kCancelled; the outbox keeps the batch), so a
//     stalled database connection does not hold up the stop. Returns
//     within `shutdown_timeout_ms` or logs and returns anyway (nothing is lost: state on
//     disk is always a committed state).
//   * A stop-the-line follower error (deep reorg, undecodable log, wrong chain) stops the
//     node with exit 1 after the replicator finishes its batch; the log says what to do.
//   * With [ha] (an active/standby pair on one Postgres, node/ha/): a lease keeper thread
//     renews the pair's lease; the replicator writes only while this node holds it (the
//     sink's fence checks it in every write transaction) and, at each takeover, first
//     adopts the sink's ledger; a clean stop releases the lease after the replicator
//     stopped, so the standby takes over at once.
//   * Every `snapshot_interval_ms` it writes <data_dir>/status.json (atomically) for
//     `claimsync status` while the node holds the store's lock, and hands the same report
//     to the alert notifier when [alerts] is enabled (node/alerts/; it posts on its own
//     thread).
//   * With reconcile.interval_s > 0 it reconciles (read only, at `finalized`) every interval
//     on a thread of its own, one run at a time with POST /v1/admin/reconcile
//     (ReconcileSchedule); each run's summary goes to /metrics, to the store's note (so
//     `claimsync status` shows it, running or stopped) and to one log line.
#pragma once

#include <cstdint>
#include <string>

#include "node/config.hpp"
#include "node/status_report.hpp"
#include "rpc/clock.hpp"

namespace claimsync::node {

struct DaemonOptions {
  bool migrate = true;  // apply pending migrations when the sink (re)connects
  std::int64_t snapshot_interval_ms = 1000;
  std::int64_t shutdown_timeout_ms = 30'000;
};

// Runs until `stop` is requested or the follower stops the line. Returns the exit code.
int run_daemon(const Config& config, const DaemonOptions& options, StopFlag& stop);

// The snapshot file `claimsync status` reads while the node runs.
std::string status_snapshot_path(const Config& config);

}  // namespace claimsync::node
