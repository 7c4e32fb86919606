// reconcile_run: one reconcile run over real or fake I/O (issue 14). Reads the store's
// claims, pins one block, sweeps the chain's mint logs up to it, reads the sink's rows and
// the balances of every known wallet x level at the pin, then compares
// (reconcile_compare) and re-checks that the pin is still canonical.
//
// Each part that fails (RPC down, sink unreachable, a reorg under the pin) leaves its
// classes at 0 and adds a reason to partial_reasons: the report is partial (exit 2), the
// other parts are still compared. Writes nothing anywhere.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "node/config.hpp"
#include "node/reconcile/balance_sweep.hpp"
#include "node/reconcile/reconcile_compare.hpp"
#include "node/reconcile/reconcile_report.hpp"
#include "rpc/chain_source.hpp"
#include "rpc/clock.hpp"
#include "storage/node_store.hpp"
#include "storage/sink_snapshot.hpp"

namespace claimsync::node {

struct ReconcileSettings {
  std::uint64_t chain_id = 0;
  eth::Address contract;
  std::uint64_t start_block = 0;
  std::vector<std::uint32_t> levels;
  std::string at = "finalized";  // --at
  std::size_t samples = 10;      // --samples
  std::uint64_t log_chunk_blocks = 5'000;
  BalanceSweepOptions balances;
};

// The settings of `config` (chain, levels, logs span); `at` and `samples` at their defaults.
ReconcileSettings reconcile_settings(const Config& config);

// Every claim of the store, any state (a page at a time; bounded by the counters).
std::vector<store::Claim> read_all_claims(const store::NodeStore& store);

// `sink` may be null: the sink could not be opened (`sink_error` says why).
// `inputs_out` (optional) receives what was compared, for --repair (reconcile_repair).
ReconcileReport run_reconcile(eth::ChainSource& chain, const store::NodeStore& store,
                              store::SinkSnapshotReader* sink, const std::string& sink_error,
                              const ReconcileSettings& settings, Clock& clock,
                              ReconcileInputs* inputs_out = nullptr);

}  // namespace claimsync::node
