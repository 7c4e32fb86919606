// TakeoverGate: the replicator's question "may I write now?" in an active/standby pair
// ([ha], issue 15). Yes only while this node holds the lease (LeaseKeeper) and, for that
// lease's token, the sink's ledger has been adopted (node/ha/ledger_adoption.hpp): the
// first step after each takeover adopts, then replication goes on as on a single node.
//
// Threading: may_replicate() from the replicator's thread only; adopted() from any.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "node/ha/lease_keeper.hpp"
#include "rpc/clock.hpp"
#include "storage/membership_sink.hpp"
#include "storage/node_store.hpp"

namespace claimsync::node {

class TakeoverGate {
 public:
  // `sink_url`: the Postgres sink.url (the ledger is read on a connection of its own,
  // opened per adoption, bounded by `options`). References must outlive the gate.
  TakeoverGate(LeaseKeeper& keeper, store::NodeStore& store, std::string sink_url,
               store::SinkOptions options, std::uint64_t chain_id, Clock& clock);

  // True while the lease holds and its adoption is done. A failed adoption returns false
  // (logged) and is tried again at the next call.
  bool may_replicate();
  // Token of the last adopted lease (0 = none yet).
  std::int64_t adopted_token() const { return adopted_token_.load(); }

 private:
  LeaseKeeper& keeper_;
  store::NodeStore& store_;
  std::string sink_url_;
  store::SinkOptions options_;
  std::uint64_t chain_id_;
  Clock& clock_;
  std::atomic<std::int64_t> adopted_token_{0};
};

}  // namespace claimsync::node
