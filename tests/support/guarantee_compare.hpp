// The guarantee test's verdict: the membership database (users, members, membership,
// claim_sync_queue) against the ChainTruth recomputed from the chain.
//
//   SinkSnapshot sink = read_sink(pg);                 // plain SQL, every row
//   Comparison c = compare_with_truth(truth, sink);
//   INFO(c.summary); REQUIRE(c.first_difference.empty());
//
// Equal means: one claim_sync_queue row per expected claim key, status 'done', with the
// claim's tx, log/batch index, wallet, level, amount, block number/hash/time; any other row
// is of a claim whose block left the chain and must have status 'revoked' (never done,
// pending, orphaned, dead, ...), and no duplicate; one membership row per (wallet, level)
// minted, created by one of that pair's canonical claims (never by a revoked one); one
// members row per claiming wallet with current_level = its highest level and activated_at
// = its earliest mint's block time, and NO members row for a wallet whose every claim was
// revoked; one users row per claiming wallet, and optionally one for a wallet whose every
// claim was revoked (users rows are never deleted). Rows are kept as read (not keyed), so
// duplicates show.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/guarantee_truth.hpp"
#include "tests/support/pg_cluster.hpp"

namespace claimsync::testing {

struct LedgerRow {
  std::string key;
  std::uint64_t chain_id = 0;
  std::string tx_hash;
  std::uint64_t log_index = 0, batch_index = 0;
  std::string wallet;
  std::uint64_t level = 0;
  std::string amount;  // decimal
  std::uint64_t block_number = 0;
  std::string block_hash;
  std::uint64_t block_time = 0;  // unix seconds
  std::string status;
  std::string error_message;
};

struct MembershipRow {
  std::string wallet;
  std::uint64_t level = 0;
  std::optional<std::string> claim_key;
};

struct MemberRow {
  std::string wallet;
  std::uint64_t current_level = 0;
  std::optional<std::uint64_t> activated_at;  // unix seconds
};

struct SinkSnapshot {
  std::vector<LedgerRow> ledger;
  std::vector<MembershipRow> membership;
  std::vector<MemberRow> members;
  std::vector<std::string> users;
};

// Reads every row of the four tables (throws std::runtime_error when the query fails).
SinkSnapshot read_sink(const PgCluster& pg);

struct Comparison {
  std::string first_difference;  // empty: the database equals the truth
  std::string summary;           // the counts compared, one line per table
};

Comparison compare_with_truth(const ChainTruth& truth, const SinkSnapshot& sink);

}  // namespace claimsync::testing
