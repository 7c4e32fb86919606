// MembershipSink: the application's membership database (DESIGN §5, §7). Implemented by
// PostgresSink (libpq) and SqliteSink (SQLiteCpp).
//
// Contract:
//   * apply() and revoke() run one transaction per call; operations are idempotent and
//     commute (applying the same claims again, or in another order, changes nothing).
//   * Failures are classified. kUnavailable / kTimeout / kCancelled mean "outcome
//     unknown": the database could not be reached, went away, did not answer within the
//     call deadline, or the node is stopping; the call MAY OR MAY NOT have committed
//     (e.g. a COMMIT whose reply was lost) and nothing is to blame on a claim. The
//     replicator pauses and retries without spending attempts; idempotence makes the
//     replay harmless. Anything the sink cannot classify counts as unavailable.
//     kFailedPrecondition: the schema is broken, or (a sink with a lease fence) this node
//     does not hold the lease; nothing committed, no claim to blame.
//     A claim-specific failure (constraint violation, bad data) is reported per claim in
//     `rejected`; the other claims of the call ARE committed (the sink isolates the
//     culprit, e.g. savepoints).
//   * Every call is bounded: it returns within SinkOptions::call_timeout_ms (per
//     connect / statement) and soon after SinkOptions::stop is requested.
//   * Every value is bound as a parameter; no SQL is built from data.
//   * Not thread-safe: one replicator thread owns a sink.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rpc/clock.hpp"
#include "rpc/status.hpp"
#include "storage/claim.hpp"

namespace claimsync::store {

struct SinkRejection {
  ClaimKey key;
  std::string error;  // the database's message, for last_error and the ledger
};

struct SinkResult {
  Status status;  // non-OK only for whole-call failures (availability, broken schema)
  std::vector<SinkRejection> rejected;  // claim-specific failures; the rest committed
};

// A ledger-only status update (claim_sync_queue), e.g. a claim went dead or retrying.
struct LedgerUpdate {
  Claim claim;  // key, wallet, level, sources; state/attempts/last_error are mirrored
};

class MembershipSink {
 public:
  virtual ~MembershipSink() = default;

  // Cheap reachability check (SELECT 1). kUnavailable when down.
  virtual Status ping() = 0;

  // Applies pending/retrying claims: ledger row (status 'done'), membership row per
  // (wallet, level) insert-if-absent, users + members rows (level 1 creates the user and
  // member; any level raises members.current_level = GREATEST(current, level)), earliest
  // activated_at wins, referrer first-wins.
  virtual SinkResult apply(const std::vector<Claim>& claims) = 0;

  // Compensates revoking claims: marks their ledger rows 'revoked', deletes the membership
  // row of (wallet, level) unless another live (done) ledger row still holds that level,
  // and, for the wallets whose membership rows changed, recomputes members from the
  // remaining rows (current_level = max, activated_at = min) or, with none left, deletes
  // the members row (users stays). A claim that never reached the sink changes only its
  // ledger row. A revoked claim may be applied again later (with new block data).
  virtual SinkResult revoke(const std::vector<Claim>& claims) = 0;

  // Mirrors non-terminal or dead states into claim_sync_queue (status, attempts, error).
  // Never touches membership. Best-effort for the caller: failure is logged, not fatal.
  virtual Status record(const std::vector<LedgerUpdate>& updates) = 0;
};

class LeaseFence;  // storage/sink_lease.hpp

// Bounds of every call of a sink (config `sink.call_timeout_ms`).
struct SinkOptions {
  // Deadline of one connect or one statement. Postgres: client-side, on the socket; on
  // expiry the connection is abandoned and the call returns kTimeout. SQLite calls are
  // local and bounded by its busy timeout (storage/sqlite_database.hpp) instead.
  std::int64_t call_timeout_ms = 30'000;
  // When requested, a Postgres call in flight is abandoned and returns kCancelled.
  // Optional; must outlive the sink.
  const StopFlag* stop = nullptr;
  // Active/standby ([ha], storage/sink_lease.hpp): when set, every write call (apply,
  // revoke, record) checks the lease in its own transaction first and writes nothing
  // when this node does not hold it. Postgres only (open_sink refuses it for SQLite).
  // Optional; must outlive the sink.
  const LeaseFence* fence = nullptr;
};

// Opens a sink from a URL: "postgres://..." / "postgresql://..." (libpq conninfo URI) or
// "sqlite:PATH" (file created if absent). Applies pending migrations first when
// `migrate` is true. kInvalidArgument for an unknown scheme.
Result<std::unique_ptr<MembershipSink>> open_sink(const std::string& url, bool migrate,
                                                  const SinkOptions& options = {});

}  // namespace claimsync::store
