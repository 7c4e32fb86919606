// OriginQueueImport: `claimsync reconcile --import-origin-queue TABLE` (issue 14), adopting
// a deployment of the origin design. Each distinct tx hash of its claim_sync_queue is
// verified on chain as a hint, by the node's own hint verifier (IntakeService: receipt,
// header, mint logs of the configured contract and levels, node/mint_claims), and what the
// chain proves goes into the store through the hint path (NodeStore::ingest_hint, source
// `reconcile`), from where the replicator writes it like any claim.
//
// Classes (OriginImportClass): ingested; already_known (the store holds claims of the tx:
// no RPC call); not_a_mint by reason (placeholder: not 0x + 64 hex, e.g. the origin's
// `recovery_...` rows; no_receipt; reverted; foreign); scan_disagrees (a mint in a block the
// node's scan covered without finding it: ingest_hint leaves that to the scan, and the
// comparison after the import reports it as missing_in_store, which --repair fixes);
// unverified (the chain could not be read within retry_ms: nothing was ingested for it).
//
// Bounded: at most intake.workers receipt reads in flight, at most `window` hints open at
// once; an unknown or unreadable tx is re-checked with backoff for retry_ms, then counted
// (no_receipt / unverified); every wait ends. `progress` gets a line every
// progress_every_ms and a last one.
//
// Not thread-safe (it runs its own verifier threads inside verify()); the node must be
// stopped (the command owns the store).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "node/intake/intake_service.hpp"
#include "node/reconcile/reconcile_report.hpp"
#include "rpc/chain_source.hpp"
#include "rpc/clock.hpp"
#include "storage/node_store.hpp"

namespace claimsync::node {

struct OriginImportOptions {
  // chain_id, contract, levels and workers (receipt reads in flight) as configured
  // (intake_options); the import sets replicate, source, watch and limits itself.
  IntakeOptions intake;
  std::int64_t retry_ms = 10'000;  // --import-retry-s
  std::size_t window = 256;        // hints open at once
  std::size_t samples = 10;        // per class
  std::int64_t progress_every_ms = 2'000;
};

class OriginQueueImport {
 public:
  OriginQueueImport(std::string table, OriginImportOptions options);

  // One row's tx_hash (nullopt: NULL). No I/O: placeholders are counted, repeated hashes
  // dropped, the rest kept for verify().
  void add_row(std::optional<std::string_view> tx_hash);

  // Classifies every hash kept (see above) and ingests the real mints the store lacks.
  // Call once, after the rows.
  void verify(eth::ChainSource& chain, store::NodeStore& store, Clock& clock,
              const std::function<void(const std::string&)>& progress);

  OriginImportSummary& summary() { return summary_; }
  // The claims verify() ingested, for the replicator.
  const std::vector<store::ClaimKey>& ingested_keys() const { return ingested_keys_; }

 private:
  void classify(const eth::Hash32& tx, const IntakeService::Verdict& v);
  void add(OriginImportClass c, OriginImportSample s) {
    summary_.add(c, std::move(s), options_.samples);
  }

  OriginImportOptions options_;
  OriginImportSummary summary_;
  std::unordered_set<std::string> seen_;
  std::vector<eth::Hash32> to_verify_;  // distinct, in table order
  std::vector<store::ClaimKey> ingested_keys_;
};

// Puts the summary into the report; the import's unverified hashes and unsettled claims
// make it partial (exit 2), each with what to do.
void add_origin_import(OriginImportSummary summary, ReconcileReport& report);

}  // namespace claimsync::node
