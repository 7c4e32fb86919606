#include "node/ha/ledger_adoption.hpp"

#include <vector>

#include "rpc/logging.hpp"
#include "storage/pg_connection.hpp"

namespace claimsync::node {
namespace {

using store::Claim;
using store::ClaimState;

constexpr int kPageRows = 2'000;

// Keyset pagination on the primary key: each page is one short statement, and a ledger of
// millions of rows never sits in memory.
constexpr const char* kLedgerPageSql = R"SQL(
SELECT claim_key, status, wallet_address, level, amount, block_number, block_hash,
       extract(epoch FROM block_time)::bigint, referrer_wallet
FROM claim_sync_queue
WHERE chain_id = $1::bigint AND claim_key > $2
ORDER BY claim_key
LIMIT $3::integer)SQL";

// A ledger row as the claim it records; nullopt when a column does not parse.
std::optional<Claim> claim_of_row(const store::PgResult& r, int i) {
  auto key = store::ClaimKey::parse(r.value(i, 0));
  auto wallet = eth::Address::parse(r.value(i, 2));
  auto amount = eth::U256::from_decimal(r.value(i, 4));
  auto block_hash = eth::Hash32::parse(r.value(i, 6));
  if (!key.ok() || !wallet.ok() || !amount.ok() || !block_hash.ok()) return std::nullopt;
  Claim c;
  c.key = *key;
  c.wallet = *wallet;
  try {
    c.level = static_cast<std::uint32_t>(std::stoul(std::string(r.value(i, 3))));
    c.block_number = std::stoull(std::string(r.value(i, 5)));
    c.block_time = std::stoull(std::string(r.value(i, 7)));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  c.amount = *amount;
  c.block_hash = *block_hash;
  if (!r.is_null(i, 8)) {
    auto referrer = eth::Address::parse(r.value(i, 8));
    if (referrer.ok()) c.referrer = *referrer;
  }
  c.sources = store::kSourceTakeover;
  c.sent_to_sink = true;  // the old holder may have applied it: a reorg must revoke it
  return c;
}

}  // namespace

AdoptionAction adoption_action(const std::string& ledger_status, const std::optional<Claim>& stored,
                               bool block_scanned) {
  if (ledger_status == "revoked") {
    return stored && stored->state == ClaimState::kDone ? AdoptionAction::kReapply
                                                        : AdoptionAction::kNone;
  }
  if (!stored) return block_scanned ? AdoptionAction::kRevoke : AdoptionAction::kIngestHint;
  if (stored->state == ClaimState::kOrphaned || stored->state == ClaimState::kRevoked)
    return AdoptionAction::kRevoke;
  return AdoptionAction::kNone;
}

Result<AdoptionOutcome> adopt_sink_ledger(store::PgConnection& conn, store::NodeStore& store,
                                          std::uint64_t chain_id, Clock& clock,
                                          const StopFlag* stop) {
  AdoptionOutcome out;
  std::string after;  // keyset cursor: "" sorts before every key
  for (;;) {
    if (stop != nullptr && stop->stop_requested())
      return error(ErrorCode::kCancelled, "ledger adoption: stopping");
    auto page = conn.exec_params(kLedgerPageSql,
                                 {std::to_string(chain_id), after, std::to_string(kPageRows)});
    if (!page.ok()) return page.status().with_context("ledger adoption: read claim_sync_queue");
    const int rows = page->rows();
    std::vector<Claim> revoke;
    std::vector<Claim> reapply;
    for (int i = 0; i < rows; ++i) {
      ++out.rows;
      std::optional<Claim> row = claim_of_row(*page, i);
      if (!row) {
        ++out.unreadable;
        continue;
      }
      const std::string status(page->value(i, 1));
      const std::optional<Claim> stored = store.get(row->key);
      const bool scanned = store.holes(row->block_number, row->block_number).empty();
      switch (adoption_action(status, stored, scanned)) {
        case AdoptionAction::kNone: break;
        case AdoptionAction::kRevoke: revoke.push_back(*row); break;
        case AdoptionAction::kReapply: reapply.push_back(*stored); break;
        case AdoptionAction::kIngestHint: {
          auto in = store.ingest_hint(*row, std::nullopt, clock.now_ms());
          if (in.ok()) {
            ++out.hinted;
          } else if (in.status().code() == ErrorCode::kFailedPrecondition) {
            // The follower scanned its block meanwhile and did not find it: revoke.
            revoke.push_back(*row);
          } else {
            return in.status().with_context("ledger adoption: ingest");
          }
          break;
        }
      }
    }
    if (!revoke.empty()) {
      auto r = store.requeue_for_repair(store::SinkOp::kRevoke, revoke, clock.now_ms());
      if (!r.ok()) return r.status().with_context("ledger adoption: requeue revokes");
      out.revoked += r->requeued;
    }
    if (!reapply.empty()) {
      auto r = store.requeue_for_repair(store::SinkOp::kApply, reapply, clock.now_ms());
      if (!r.ok()) return r.status().with_context("ledger adoption: requeue re-applies");
      out.reapplied += r->requeued;
    }
    if (rows < kPageRows) break;
    after = std::string(page->value(rows - 1, 0));
  }
  return out;
}

}  // namespace claimsync::node
