// drive_replicator: the replicator of `run`, driven on the calling thread by an offline
// command that handed claims to the normal path (reconcile --repair, reconcile
// --import-origin-queue), until those claims settle, so the operator sees the outcome in
// one run.
//
// Contract: steps a Replicator over `sink` until every claim of `keys` is in a state the
// replicator no longer works on (not pending, retrying or revoking: done, revoked, dead,
// orphaned, or gone) or `wait_ms` passed; a claim still due when the wait ends stays due
// for the node's replicator. Every pass steps once or sleeps until the next due claim (at
// most 200 ms), so the wait is bounded by wait_ms plus one sink call. `progress` gets one
// line every progress_every_ms and a last one ("<label>: S/N settled").
//
// Not thread-safe; the node must be stopped (the command owns the store).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "node/config.hpp"
#include "rpc/clock.hpp"
#include "storage/claim.hpp"
#include "storage/membership_sink.hpp"
#include "storage/node_store.hpp"

namespace claimsync::node {

struct DriveOptions {
  std::int64_t wait_ms = 300'000;
  std::int64_t progress_every_ms = 2'000;
  std::string label = "reconcile";  // the progress lines' prefix
  ReplicatorConfig replicator;
};

struct DriveResult {
  std::uint64_t settled = 0;
  std::uint64_t unsettled = 0;  // still due when the wait ended
};

DriveResult drive_replicator(store::NodeStore& store, store::MembershipSink& sink,
                             const std::vector<store::ClaimKey>& keys, const DriveOptions& options,
                             Clock& clock, const std::function<void(const std::string&)>& progress);

}  // namespace claimsync::node
