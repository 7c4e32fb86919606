// BalanceSweep: balanceOfBatch for wallets x levels at one block, in calls of adaptive size
// (issue 14; reference/rpc-providers-and-reconcile.md §1, §3): start at `initial_pairs`
// (950 = 50 wallets x 19 levels, ~2.8M gas), up to `concurrency` calls in flight.
//
//   * A failed call (out of gas, timeout, 413, rate limit) is retried as its two halves;
//     calls in flight at the time are not touched. Calls started after it use the halved
//     size too (the limit is most likely the endpoint's), growing back by doubling after
//     a run of `grow_after` successes.
//   * A rate-limited call (kRateLimited, after the client's own backoff) also halves the
//     calls allowed in flight (at least 1); each run of `grow_after` successes allows one
//     more, up to `concurrency` (AIMD).
//   * Bounded: at most `max_retries` failed calls in the whole sweep; then it stops starting
//     calls, lets those in flight finish, and says how many pairs were left unread (the
//     report is partial). kCancelled and kInvalidArgument stop it at once (no retry helps).
//   * The result does not depend on `concurrency`: the same pairs read, the same
//     `balances` (with concurrency 1 the calls are exactly those of a sequential sweep).
//
// Threading: runs `concurrency - 1` threads of its own besides the caller's, all joined
// before it returns; `chain` must be thread-safe (ChainSource's contract).
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <vector>

#include "node/reconcile/reconcile_compare.hpp"
#include "rpc/chain_source.hpp"
#include "rpc/status.hpp"

namespace claimsync::node {

inline constexpr std::size_t kMaxBalanceConcurrency = 16;

struct BalanceSweepOptions {
  std::size_t initial_pairs = 950;
  std::size_t grow_after = 4;  // successes in a row before the call size doubles again
  std::uint32_t max_retries = 8;
  // When set, a zero balance is kept in `balances` only for these pairs (the members: a
  // zero elsewhere classifies nothing), so the table holds members and holders, not every
  // pair read (1.9M pairs of 100k wallets x 19 levels: ~190 MB as a full map).
  const std::set<WalletLevel>* zero_pairs_kept = nullptr;
  // balanceOfBatch calls in flight, 1..kMaxBalanceConcurrency (values outside are clamped).
  // The node passes reconcile.balance_concurrency (default 4); 1 here: a caller that does
  // not ask gets the sequential sweep.
  std::size_t concurrency = 1;
};

struct BalanceSweep {
  BalanceTable balances;         // every pair read (see zero_pairs_kept)
  std::uint64_t pairs_read = 0;  // pairs whose balance was read
  std::uint64_t calls = 0;
  std::uint64_t retries = 0;
  std::uint64_t rate_limited = 0;  // of the retries: calls refused with kRateLimited
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
