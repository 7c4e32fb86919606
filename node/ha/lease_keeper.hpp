// LeaseKeeper: this node's side of the active/standby lease ([ha], issue 15; the lease
// itself in storage/sink_lease.hpp). Every renew interval it takes or renews the lease row
// (store::SinkLease::acquire) and so decides the node's role:
//   active   it holds the lease: the replicator may write (the sink's fence checks it again
//            in every write transaction, so this local view only saves useless calls);
//   standby  another live holder has it, or the database cannot be asked and the local
//            view of the last grant has run out;
//   starting no answer yet.
// The local view of a grant lasts from the moment the request was sent for the TTL the
// database granted (a reply that arrives late only shortens it), on the monotonic clock.
//
// Threading: run() (or tick()) on one thread; current(), status() from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "rpc/clock.hpp"
#include "storage/sink_lease.hpp"

namespace claimsync::node {

enum class HaRole { kStarting, kActive, kStandby };
const char* ha_role_name(HaRole role);  // "starting" / "active" / "standby"

struct HaStatus {
  HaRole role = HaRole::kStarting;
  std::string node_id;
  std::string holder;           // who holds the lease as last seen ("" unknown / nobody)
  std::int64_t token = 0;       // fencing token of that lease
  std::uint64_t takeovers = 0;  // times this process became active
  std::int64_t role_since_ms = 0;
  std::string last_error;  // the last failed lease call ("" after a success)
};

struct LeaseKeeperOptions {
  std::string lease_key;  // "<chain_id>:<contract lower hex>"
  std::string node_id;
  std::string holder;  // "<node_id>/<instance>", unique per process
  std::int64_t ttl_ms = 10'000;
  std::int64_t renew_every_ms = 2'500;
};

class LeaseKeeper final : public store::LeaseFence {
 public:
  // `on_role_change` runs on the keeper's thread after each change of role (e.g. to wake
  // the replicator). `lease` and `clock` must outlive the keeper.
  LeaseKeeper(store::SinkLease& lease, Clock& clock, LeaseKeeperOptions options,
              std::function<void(HaRole)> on_role_change = {});
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  // One acquire/renew call (bounded by the lease's call timeout) and the role it implies.
  void tick();
  // tick() every renew interval until `stop`. Does not release: see release().
  void run(const StopFlag& stop);
  // Ends a held lease at once (a clean stop: the standby takes over without waiting for the
  // TTL). Call after the replicator stopped. Best effort; logged.
  void release();

  // store::LeaseFence: the grant while it lasts locally, else nullopt.
  std::optional<store::FenceToken> current() const override;
  HaStatus status() const;

 private:
  // The role now, given the grant's local deadline. REQUIRES: mu_ held.
  HaRole role_locked() const;
  void note_role(HaRole before, HaRole after, std::int64_t now_ms);

  store::SinkLease& lease_;
  Clock& clock_;
  LeaseKeeperOptions options_;
  std::function<void(HaRole)> on_role_change_;

  mutable std::mutex mu_;
  bool answered_ = false;                 // GUARDED_BY(mu_): the database answered once
  std::int64_t held_token_ = 0;           // GUARDED_BY(mu_): 0 = no grant
  std::int64_t valid_until_us_ = 0;       // GUARDED_BY(mu_): monotonic end of the grant
  HaStatus status_;                       // GUARDED_BY(mu_) (role is recomputed on read)
  HaRole last_role_ = HaRole::kStarting;  // the keeper thread's view, for change logs
};

}  // namespace claimsync::node
