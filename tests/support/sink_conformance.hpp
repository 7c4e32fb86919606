// The MembershipSink contract as executable checks, run against both sinks
// (tests/integration/postgres_sink_test.cpp, tests/unit/sqlite_sink_test.cpp).
//
// A SinkHarness gives fresh, migrated databases by name and raw SQL access to them; the
// check_* functions use Catch2 assertions, so they are called inside a TEST_CASE.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "storage/claim.hpp"
#include "storage/membership_sink.hpp"
#include "tests/support/claim_fixtures.hpp"

namespace claimsync::testing {

using SqlRows = std::vector<std::vector<std::string>>;  // NULL as "\N"

struct SinkHarness {
  // A new empty database called `db`, migrated, and a sink on it.
  std::function<std::unique_ptr<store::MembershipSink>(const std::string& db)> open_fresh;
  std::function<SqlRows(const std::string& db, const std::string& sql)> query;
  std::function<void(const std::string& db, const std::string& sql)> exec;
  // SQL that makes inserting a membership row for `wallet` fail with an error raised by a
  // trigger (a claim-specific failure).
  std::function<std::string(const std::string& wallet)> reject_wallet_sql;
  // A SQL expression: the timestamp column `column` as integer unix seconds.
  std::function<std::string(const std::string& column)> epoch_sql;
  // A new empty database called `db`, NOT migrated; returns its sink URL.
  std::function<std::string(const std::string& db)> create_empty;
  // The sink URL of database `db` (as created by open_fresh).
  std::function<std::string(const std::string& db)> url;
};

// users / members / membership / claim_sync_queue as text, ordered, without the columns
// that hold the wall clock (created_at, updated_at, completed_at, revoked_at: only whether
// they are set).
struct SinkTables {
  std::string users, members, membership, ledger;
  bool operator==(const SinkTables&) const = default;
};
SinkTables dump_tables(const SinkHarness& h, const std::string& db);

// Applies `claims` in batches of `batch` and REQUIREs a fully successful result.
void apply_all(store::MembershipSink& sink, const std::vector<store::Claim>& claims,
               std::size_t batch);

void check_schema(const SinkHarness& h);
void check_idempotent_and_commutative(const SinkHarness& h);
void check_level_rules(const SinkHarness& h);
void check_revocation(const SinkHarness& h);
void check_claim_failure_isolated(const SinkHarness& h);
void check_literal_strings(const SinkHarness& h);
void check_record(const SinkHarness& h);
// The read side (storage/sink_snapshot.hpp): after applies, a revoke, a dead ledger update,
// another chain's claim, rows not made by claimsync and one unreadable row, the snapshot
// holds exactly this chain's ledger rows with their statuses, every membership row with
// its creating claim (or none), every members row, and counts the unreadable row.
void check_snapshot(const SinkHarness& h);

// Model-based: `steps` seeded random calls of apply / revoke / re-apply over a few wallets
// and levels (siblings of one wallet and level, duplicates in a batch, revokes of claims
// that never reached the sink, re-applies with new block data, wallets whose every claim is
// revoked), each call followed by a comparison of users / members / membership / ledger
// with a plain in-memory model of the rules (migrations/README.md "What the node writes").
void check_model(const SinkHarness& h, std::uint32_t seed, int steps);

// Tables that exist before the first migrate, with extra NOT NULL columns that have
// defaults and a NOT NULL members.activated_at: migrate succeeds, the model holds.
void check_existing_tables_with_defaults(const SinkHarness& h);

// Existing tables the node would fail on at run time (a NOT NULL column without default,
// wrong column types, the origin design's claim_sync_queue): migrate refuses, naming each
// table, column and fix, and changes nothing; after the fix it succeeds.
void check_existing_tables_refused(const SinkHarness& h);

}  // namespace claimsync::testing
