// reconcile_repair: `claimsync reconcile --repair` (issue 14). After a complete run it
// plans (reconcile_repair_plan), checks the threshold, writes the plan into the store the
// normal way (NodeStore::ingest with source reconcile, NodeStore::requeue_for_repair) and
// then drives a Replicator over the sink until those claims settle, bounded by
// `wait_ms`. The sink is only ever written by the replicator's apply / revoke.
//
// Refuses (report.repair->refused, exit 3) and changes nothing when the differences exceed
// max_fraction of the claims compared: that usually means a lying or lagging endpoint, or
// the config points at the wrong database. A partial report is never repaired (exit 2).
// The mints to ingest get their block times from headers of the pinned chain; a header
// whose hash differs (a reorg under the pin) makes the repair refuse too.
//
// Not thread-safe; the node must be stopped (the command owns the store).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "node/config.hpp"
#include "node/reconcile/reconcile_compare.hpp"
#include "node/reconcile/reconcile_report.hpp"
#include "rpc/chain_source.hpp"
#include "rpc/clock.hpp"
#include "storage/membership_sink.hpp"
#include "storage/node_store.hpp"

namespace claimsync::node {

struct RepairOptions {
  double max_fraction = 0.05;      // reconcile.max_repair_fraction
  std::int64_t wait_ms = 300'000;  // --repair-wait-s: how long the replicator may take
  std::int64_t progress_every_ms = 2'000;
  ReplicatorConfig replicator;
};

// `in`: what run_reconcile compared (its inputs_out). `sink`: the membership sink the
// replicator writes (opened without migrating). `progress` gets one line now and then
// while the replicator works (e.g. to stderr). Fills report.repair; a wait that ends
// before every claim settled adds a partial reason.
void run_repair(eth::ChainSource& chain, store::NodeStore& store, store::MembershipSink& sink,
                const ReconcileInputs& in, const RepairOptions& options, Clock& clock,
                ReconcileReport& report, const std::function<void(const std::string&)>& progress);

}  // namespace claimsync::node
