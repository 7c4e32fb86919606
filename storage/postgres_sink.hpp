// PostgresSink: MembershipSink over libpq (contract in storage/membership_sink.hpp).
//
// How it keeps the contract:
//   * apply(): one transaction and one set-based merge statement (prepared once per
//     connection) whose data-modifying CTEs upsert claim_sync_queue, users, members and
//     membership. The claims reach it in one of two ways (set_stage_min_claims):
//       arrays (the default, every batch size): 16 array parameters, unnest()ed, in one
//         autocommit statement: one round trip;
//       stage: COPY (text format) into the session's temp table pg_temp.claimsync_stage
//         (the merge deletes what it reads; truncated every 2 MB staged), sent as ONE
//         simple-query message "COPY ... FROM STDIN; EXECUTE merge": one implicit
//         transaction, two round trips (the server asks for the data).
//     Both write the same rows and keep the same guarantees; the stage measured no faster
//     (bench/RESULTS.md, issue 11: the server's time goes to the merge itself, not to
//     reading the claims), so it is off by default.
//     Rows are deduplicated per conflict key inside the statement, and every conflict rule
//     is a min/max, so any order or repetition of claims yields the same tables:
//       ledger      insert; on conflict set 'done' unless already 'done'
//       users       insert if absent; referrer set only while NULL
//       members     insert if absent; current_level = GREATEST, activated_at = LEAST,
//                   referrer set only while NULL
//       membership  insert if absent; on conflict keep the earliest (activated_at,
//                   claim_key) among the claims that created it (rows with a NULL
//                   claim_key were not created by claimsync and are never taken over)
//     A level > 1 claim for a wallet without level 1 still creates the users and members
//     rows (otherwise the result would depend on the order claims arrive in).
//     A claim whose ledger row (not 'revoked') has another block (hash, number or time) moved
//     in a reorg before its revoke reached the sink: the statement leaves it out and
//     returns it, and apply() revokes it and applies it again in one transaction, so the
//     tables are as if it had only ever been in its new block.
//   * revoke(): one transaction: ledger rows 'revoked'; each membership row created by a
//     revoked claim is handed to the earliest other 'done' claim of the same wallet and
//     level, or deleted when there is none; then, for the wallets whose membership rows
//     changed: members.current_level = max(remaining nft_level), activated_at =
//     min(remaining), and a wallet left with no membership row loses its members row
//     (users rows are kept). A revoke of a claim that never reached the sink changes only
//     its ledger row; a later apply of a revoked claim makes it 'done' again with the
//     claim's (possibly new) block data and recreates its rows.
//   * A claim-specific error (SQLSTATE classes 22, 23, P0, ...) makes the call redo the
//     batch in one transaction claim by claim under SAVEPOINTs: failing claims are
//     reported in `rejected`, the others committed. An availability error returns
//     kUnavailable / kTimeout / kCancelled: the outcome is unknown (a lost COMMIT may
//     have landed; replaying it is harmless). The connection is re-established on the
//     next call.
//   * Every call is bounded by PgCallOptions (deadline, StopFlag; storage/pg_connection.hpp).
//     Each (re)connected session sets statement_timeout = 2/3 of the call timeout (so the
//     server cancels cleanly, 57014, before the client gives up), lock_timeout = min(5 s,
//     statement_timeout) and idle_in_transaction_session_timeout = max(10 s, 2 x call
//     timeout) (a backend whose client vanished mid-transaction frees its locks). A value
//     given in the URL (options=-c name=value) or set for the role/database wins.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "storage/membership_sink.hpp"
#include "storage/pg_connection.hpp"

namespace claimsync::store {

class PostgresSink final : public MembershipSink {
 public:
  // Batches of at least this many claims go through the stage; SIZE_MAX: none.
  static constexpr std::size_t kDefaultStageMinClaims = SIZE_MAX;

  // Connects (kUnavailable when the server cannot be reached). Does not migrate.
  static Result<std::unique_ptr<PostgresSink>> open(const std::string& url,
                                                    PgCallOptions options = {});
  explicit PostgresSink(PgConnection conn, PgCallOptions options = {})
      : conn_(std::move(conn)), options_(options) {}

  Status ping() override;
  SinkResult apply(const std::vector<Claim>& claims) override;
  SinkResult revoke(const std::vector<Claim>& claims) override;
  Status record(const std::vector<LedgerUpdate>& updates) override;

  PgConnection& connection() { return conn_; }
  // Batches of at least `n` claims go through the stage (COPY); smaller ones as array
  // parameters. For benchmarks and tests.
  void set_stage_min_claims(std::size_t n) { stage_min_claims_ = n; }
  // Active/standby: from now on every write call checks the lease first, in its own
  // transaction (storage/sink_lease.hpp), and writes nothing without it. `fence` must
  // outlive the sink; nullptr turns the check off.
  void set_fence(const LeaseFence* fence) {
    fence_ = fence;
    prepared_ = false;  // the session timeouts depend on it
  }

 private:
  using Step = std::function<Status(std::span<const Claim>)>;

  // Reconnects a lost connection; sets the session settings and prepares the statements
  // once per connection.
  Status ensure_ready();
  Status set_session_timeouts();
  // Runs `step` over all claims (in a transaction unless `atomic_step`); on a
  // claim-specific failure, redoes it claim by claim under savepoints.
  SinkResult run_isolated(const std::vector<Claim>& claims, const Step& step, bool atomic_step);
  Status in_transaction(const std::function<Status()>& body);
  Status apply_step(std::span<const Claim> claims);
  // Upserts `claims` (kMergeSql) except the moved ones, whose keys it returns.
  Result<PgResult> merge(std::span<const Claim> claims);
  Status revoke_step(std::span<const Claim> claims);
  // OK when unfenced or while the lease holds (row share-locked until the transaction
  // ends); kFailedPrecondition "lease lost" otherwise. REQUIRES: inside a transaction.
  Status check_fence();

  PgConnection conn_;
  PgCallOptions options_;
  std::size_t stage_min_claims_ = kDefaultStageMinClaims;
  std::size_t staged_bytes_ = 0;  // COPYed into the stage since it was last truncated
  bool prepared_ = false;
  bool in_transaction_ = false;  // inside in_transaction()
  const LeaseFence* fence_ = nullptr;
};

}  // namespace claimsync::store
