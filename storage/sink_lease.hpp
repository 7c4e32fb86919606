// The lease of an active/standby pair on one Postgres database ([ha], issue 15; DESIGN §9).
//
// Two nodes follow the same chain into their own stores; exactly one replicates: the holder
// of the lease row `claimsync_lease` keyed by chain id and contract. The row names the
// holding process and a fencing token that grows at every change of holder. Time is the
// database's clock, so the nodes' clocks do not matter.
//
//   * SinkLease: acquiring, renewing and releasing the row (its own connection).
//   * LeaseFence: what the sink's writes check. A sink opened with a fence
//     (SinkOptions::fence) runs each write call in one transaction that first reads the
//     lease row under a share lock and goes on only while it names this holder and token
//     and has not expired; else nothing is written and the call fails with
//     kFailedPrecondition "lease lost". The share lock makes a takeover wait for the
//     transaction of the old holder, so the new holder's writes all come after the old
//     holder's last commit: a node that lost the lease (killed, partitioned, paused) can
//     never write over its successor.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "rpc/status.hpp"
#include "storage/membership_sink.hpp"

namespace claimsync::store {

// The lease a node believes it holds.
struct FenceToken {
  std::string lease_key;  // "<chain_id>:<contract lower hex>"
  std::string holder;     // "<node_id>/<instance>"
  std::int64_t token = 0;
};

// Thread-safety: current() is called from the sink's thread while the lease keeper
// updates it; implementations synchronise.
class LeaseFence {
 public:
  virtual ~LeaseFence() = default;
  // The lease this node holds now, as far as it knows; nullopt: not the holder (the sink
  // then refuses writes without asking the database).
  virtual std::optional<FenceToken> current() const = 0;
};

// One look at the lease row.
struct LeaseState {
  bool held = false;               // the row names the asking holder and has not expired
  std::string holder;              // whoever the row names ("" when there is no row)
  std::int64_t token = 0;          // the row's fencing token (0 when there is no row)
  std::int64_t expires_in_ms = 0;  // database clock; <= 0 when expired
};

// Thread-safety: one thread (the lease keeper).
class SinkLease {
 public:
  virtual ~SinkLease() = default;
  // Takes the lease for `holder` when the row is absent or expired (token + 1), renews it
  // when `holder` has it (same token), for `ttl_ms` from now; otherwise changes nothing
  // and reports who has it. kUnavailable / kTimeout: the database could not be asked (the
  // caller keeps its last view until its own deadline runs out).
  virtual Result<LeaseState> acquire(const std::string& lease_key, const std::string& holder,
                                     std::int64_t ttl_ms) = 0;
  // Ends the lease now if `holder` still has it with `token` (a clean stop hands over at
  // once instead of after the TTL). Changes nothing otherwise.
  virtual Status release(const std::string& lease_key, const std::string& holder,
                         std::int64_t token) = 0;
};

// The lease on the Postgres database `url` (a libpq URI). Connects lazily and reconnects
// after a failure; each call bounded by `options` (call_timeout_ms, stop).
std::unique_ptr<SinkLease> open_postgres_lease(const std::string& url, const SinkOptions& options);

// The check a fenced write transaction runs first (one parameter each: lease key, holder,
// token): one row while the lease holds, none otherwise. Shared by PostgresSink and tests.
extern const char* const kLeaseFenceSql;

}  // namespace claimsync::store
