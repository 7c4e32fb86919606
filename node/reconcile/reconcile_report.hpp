// ReconcileReport: what one `claimsync reconcile` run found (issue 14): counts per class,
// a bounded number of samples per class, the pinned block, the cost of the run, and whether
// it could complete. Differences make the exit status 1; the holder classes are
// information (membership follows mints, not holdings).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace claimsync::node {

enum class ReconcileClass : int {
  // outbox vs chain (differences)
  kMissingInStore = 0,  // a mint on chain, in a scanned block, without a live claim
  kExtraInStore,        // a live claim up to the pin that the chain's logs do not hold
  // sink vs outbox (differences)
  kLedgerMissing,           // a done claim without its claim_sync_queue row
  kLedgerStatusMismatch,    // the ledger row's status disagrees with the claim's state
  kLedgerWithoutClaim,      // a ledger row of this chain the store has no claim for
  kMembershipMissing,       // a done claim whose (wallet, level) has no membership row
  kMembershipWithoutClaim,  // a membership row claimsync made, with no live claim behind it
  kCurrentLevelWrong,       // members.current_level is not what the claims (and rows) make
  // information, not differences
  kUnscanned,           // a mint on chain in a block the node has not scanned yet
  kNewerThanPin,        // a store claim above the pinned block (not compared)
  kMembershipForeign,   // a membership row not created by claimsync (never judged)
  kMemberHolder,        // (wallet, level) with a live claim and a balance
  kMemberNotHolding,    // a live claim, balance 0 (sold or burned: still a member)
  kHolderWithoutClaim,  // a balance without a claim (received by transfer)
};
constexpr int kReconcileClassCount = 14;
constexpr int kReconcileExitRepairRefused = 3;
const char* reconcile_class_name(ReconcileClass c);  // "missing_in_store", ...
bool is_difference(ReconcileClass c);

struct ReconcileSample {
  std::string wallet;  // lower-case hex, or empty
  std::uint32_t level = 0;
  std::string chain_value;  // what the chain says ("mint", a balance, ...), or empty
  std::string db_value;     // what the store / sink says, or empty
  std::string claim_key;    // or empty
  std::optional<std::uint64_t> block;
};

struct ClassResult {
  std::uint64_t count = 0;
  std::vector<ReconcileSample> samples;  // at most the run's sample limit
};

struct PinnedBlock {
  std::string at;  // "finalized", "safe", "latest" or the number asked for
  std::uint64_t number = 0;
  std::string hash;
  std::uint64_t head = 0;  // the latest block when pinned
  std::uint64_t lag() const { return head > number ? head - number : 0; }
};

struct ReconcileCost {
  std::uint64_t log_calls = 0;
  std::uint64_t balance_calls = 0;
  std::uint64_t balance_retries = 0;
  std::uint64_t balance_pairs = 0;
  std::uint64_t smallest_batch = 0;  // pairs of the smallest balanceOfBatch call (0: none)
  std::int64_t elapsed_ms = 0;
};

// What --repair did (issue 14): refused, or what it handed to the normal path and whether
// those claims settled in the sink before the command stopped waiting.
struct RepairSummary {
  bool refused = false;
  std::string refused_reason;
  double max_fraction = 0;
  std::uint64_t compared = 0;   // the threshold's denominator
  std::uint64_t ingested = 0;   // missing claims put into the store (source reconcile)
  std::uint64_t reapplied = 0;  // done claims revoked and applied again
  std::uint64_t revoked = 0;    // claimsync's rows without a mint, revoked
  std::uint64_t settled = 0;    // of those claims, settled in the sink (done / revoked / dead)
  std::uint64_t unsettled = 0;  // still due when the wait ended
  std::uint64_t left = 0;       // reported, not repaired
  std::vector<ReconcileSample> left_samples;
};

// What --import-origin-queue found (issue 14): every distinct tx hash of an origin
// deployment's claim_sync_queue, verified on chain as a hint. Only `unverified` makes the
// report partial; the rest is information (the comparison that follows judges the store).
enum class OriginImportClass : int {
  kIngested = 0,  // a mint of the contract the store lacked: ingested (source reconcile)
  kAlreadyKnown,  // the store holds claims of this tx (any state)
  // not_a_mint, by reason
  kPlaceholder,  // not a 0x + 64 hex hash (the origin's recovery_... rows, NULL)
  kNoReceipt,    // the chain does not know the transaction
  kReverted,     // the transaction reverted
  kForeign,      // no mint of a configured level by the contract (another contract, a transfer)
  // the scan decided otherwise: a mint in a block the node scanned without finding it
  // (the comparison below reports it as missing_in_store if the chain holds it)
  kScanDisagrees,
  kUnverified,  // the chain could not be read within the retry window: run it again
};
constexpr int kOriginImportClassCount = 8;
const char* origin_import_class_name(OriginImportClass c);  // "ingested", "placeholder", ...
bool is_not_a_mint(OriginImportClass c);

struct OriginImportSample {
  std::string tx;         // as the table holds it
  std::string reason;     // why, for a human
  std::string claim_key;  // ingested / already known: the tx's first claim
  std::string wallet;     // of that claim, or empty
  std::uint32_t level = 0;
  std::optional<std::uint64_t> block;
};

struct OriginImportResult {
  std::uint64_t count = 0;
  std::vector<OriginImportSample> samples;  // at most the run's sample limit
};

struct OriginImportSummary {
  std::string table;
  std::uint64_t rows = 0;
  std::uint64_t duplicates = 0;  // rows repeating a hash of an earlier row (counted once)
  std::array<OriginImportResult, kOriginImportClassCount> classes{};
  std::uint64_t claims_ingested = 0;  // claims of the ingested transactions
  std::uint64_t settled = 0;          // of those, settled in the sink before the report
  std::uint64_t unsettled = 0;        // still due for the replicator
  std::int64_t elapsed_ms = 0;

  OriginImportResult& of(OriginImportClass c) { return classes[static_cast<int>(c)]; }
  const OriginImportResult& of(OriginImportClass c) const { return classes[static_cast<int>(c)]; }
  void add(OriginImportClass c, OriginImportSample sample, std::size_t sample_limit);
  std::uint64_t distinct() const;  // hashes classified (rows - duplicates)
  std::uint64_t not_a_mint() const;
};

struct ReconcileReport {
  std::array<ClassResult, kReconcileClassCount> classes{};
  std::size_t sample_limit = 10;
  std::optional<PinnedBlock> pin;
  std::optional<std::uint64_t> checkpoint;  // the store's
  std::uint64_t store_claims = 0;           // claims read from the store
  std::uint64_t chain_claims = 0;           // mints found by the sweep
  std::uint64_t wallets = 0;                // wallets whose balances were read
  std::uint64_t unreadable_sink_rows = 0;
  ReconcileCost cost;
  std::vector<std::string> partial_reasons;          // empty: complete
  std::optional<RepairSummary> repair;               // --repair only
  std::optional<OriginImportSummary> origin_import;  // --import-origin-queue only

  ClassResult& of(ReconcileClass c) { return classes[static_cast<int>(c)]; }
  const ClassResult& of(ReconcileClass c) const { return classes[static_cast<int>(c)]; }
  // Counts one finding of class `c`; keeps it as a sample while below sample_limit.
  void add(ReconcileClass c, ReconcileSample sample);
  std::uint64_t differences() const;
  bool complete() const { return partial_reasons.empty(); }
  // 0 consistent, 1 differences found (with --repair: and repaired what the chain
  // proves; a second run says whether all is consistent now), 2 could not complete
  // (partial; also: repaired claims not settled in time), 3 --repair refused (differences
  // above reconcile.max_repair_fraction).
  int exit_code() const;

  nlohmann::json to_json() const;
  std::string to_text() const;
};

}  // namespace claimsync::node
