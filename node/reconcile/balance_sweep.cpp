#include "node/reconcile/balance_sweep.hpp"

#include <algorithm>

#include "rpc/logging.hpp"

namespace claimsync::node {
namespace {

bool hopeless(ErrorCode code) {
  return code == ErrorCode::kCancelled || code == ErrorCode::kInvalidArgument;
}

}  // namespace

BalanceSweep sweep_balances(eth::ChainSource& chain, const eth::Address& contract,
                            const std::vector<eth::Address>& wallets,
                            const std::vector<std::uint32_t>& levels, std::uint64_t at,
                            const BalanceSweepOptions& options) {
  BalanceSweep out;
  const std::size_t total = wallets.size() * levels.size();
  const std::size_t initial = std::max<std::size_t>(options.initial_pairs, 1);
  std::size_t size = initial;
  std::size_t streak = 0;
  std::vector<eth::Address> owners;
  std::vector<eth::U256> ids;
  // Bounded: every pass either advances `pos` or spends one of max_retries.
  for (std::size_t pos = 0; pos < total;) {
    const std::size_t n = std::min(size, total - pos);
    owners.clear();
    ids.clear();
    for (std::size_t i = pos; i < pos + n; ++i) {
      owners.push_back(wallets[i / levels.size()]);
      ids.push_back(eth::U256(levels[i % levels.size()]));
    }
    ++out.calls;
    Result<std::vector<eth::U256>> got = chain.balance_of_batch(contract, owners, ids, at);
    if (got.ok() && got->size() != n) {
      got =
          error(ErrorCode::kBadResponse, "balanceOfBatch returned " + std::to_string(got->size()) +
                                             " balances for " + std::to_string(n) + " pairs");
    }
    if (!got.ok()) {
      ++out.retries;
      streak = 0;
      log_warn("reconcile_balance_call_failed", {{"pairs", n},
                                                 {"error", got.status().to_string()},
                                                 {"next", n > 1 ? "retry with half" : "retry"}});
      if (hopeless(got.status().code()) || out.retries > options.max_retries) {
        out.pairs_unread = total - pos;
        out.failure =
            got.status().with_context("balanceOfBatch of " + std::to_string(n) + " pairs, after " +
                                      std::to_string(out.retries) + " failed calls");
        return out;
      }
      size = std::max<std::size_t>(n / 2, 1);
      continue;
    }
    out.smallest_batch =
        out.smallest_batch == 0 ? n : std::min<std::uint64_t>(out.smallest_batch, n);
    const eth::U256 zero;
    for (std::size_t i = 0; i < n; ++i) {
      WalletLevel pair{owners[i], levels[(pos + i) % levels.size()]};
      if (options.zero_pairs_kept != nullptr && (*got)[i] == zero &&
          !options.zero_pairs_kept->count(pair))
        continue;
      out.balances.emplace_hint(out.balances.end(), std::move(pair), (*got)[i]);
    }
    out.pairs_read += n;
    pos += n;
    if (++streak >= options.grow_after && size < initial) {
      size = std::min(size * 2, initial);
      streak = 0;
    }
  }
  return out;
}

}  // namespace claimsync::node
