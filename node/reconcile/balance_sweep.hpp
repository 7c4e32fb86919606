// BalanceSweep: balanceOfBatch for wallets x levels at one block, in calls of adaptive size
// (issue 14; reference/rpc-providers-and-reconcile.md §1): start at `initial_pairs` (950 =
// 50 wallets x 19 levels, ~2.8M gas), halve on any failed call (out of gas, timeout, 413,
// rate limit), grow back by doubling after a run of successes. One call in flight.
//
// Bounded: at most `max_retries` failed calls in the whole sweep; then it stops and says
// which pairs were left unread (the report is partial). kCancelled and kInvalidArgument
// stop it at once (no retry helps).
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <vector>

#include "node/reconcile/reconcile_compare.hpp"
#include "rpc/chain_source.hpp"
#include "rpc/status.hpp"

namespace claimsync::node {

struct BalanceSweepOptions {
  std::size_t initial_pairs = 950;
  std::size_t grow_after = 4;  // successes in a row before the call size doubles again
  std::uint32_t max_retries = 8;
  // When set, a zero balance is kept in `balances` only for these pairs (the members: a
  // zero elsewhere classifies nothing), so the table holds members and holders, not every
  // pair read (1.9M pairs of 100k wallets x 19 levels: ~190 MB as a full map).
  const std::set<WalletLevel>* zero_pairs_kept = nullptr;
};

struct BalanceSweep {
  BalanceTable balances;         // every pair read (see zero_pairs_kept)
  std::uint64_t pairs_read = 0;  // pairs whose balance was read
  std::uint64_t calls = 0;
  std::uint64_t retries = 0;
  std::uint64_t smallest_batch = 0;
  std::uint64_t pairs_unread = 0;
  Status failure;  // OK when every pair was read
};

// Reads balanceOf(wallet, level) for every wallet x level at block `at`.
BalanceSweep sweep_balances(eth::ChainSource& chain, const eth::Address& contract,
                            const std::vector<eth::Address>& wallets,
                            const std::vector<std::uint32_t>& levels, std::uint64_t at,
                            const BalanceSweepOptions& options = {});

}  // namespace claimsync::node
