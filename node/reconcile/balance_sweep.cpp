#include "node/reconcile/balance_sweep.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "rpc/logging.hpp"

namespace claimsync::node {
namespace {

bool hopeless(ErrorCode code) {
  return code == ErrorCode::kCancelled || code == ErrorCode::kInvalidArgument;
}

// Pairs [pos, pos + n) of the wallet-major order (wallet i / levels, level i % levels).
struct Chunk {
  std::size_t pos = 0;
  std::size_t n = 0;
};

using KeptPairs = std::vector<std::pair<WalletLevel, eth::U256>>;

// What is left to read and what was read, shared by the workers. The calls themselves are
// made without the lock; only the bookkeeping between them takes it.
class SweepPlan {
 public:
  SweepPlan(std::size_t total, const BalanceSweepOptions& o)
      : total_(total),
        initial_(std::max<std::size_t>(o.initial_pairs, 1)),
        grow_after_(o.grow_after),
        max_retries_(o.max_retries),
        concurrency_(std::clamp<std::size_t>(o.concurrency, 1, kMaxBalanceConcurrency)),
        size_(initial_),
        allowed_(concurrency_) {}

  std::size_t concurrency() const { return concurrency_; }

  // The next chunk to read; nullopt when this worker is done (everything read or handed
  // out for good, or the sweep failed). Waits while the chunks left are in flight elsewhere
  // (one of them may fail and come back as halves) or the in-flight limit is reached.
  // Bounded: every wake-up follows the end of a call, and every call is bounded in time.
  std::optional<Chunk> take() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      if (!out_.failure.ok()) return std::nullopt;
      const bool work = !retry_.empty() || next_ < total_;
      if (!work && in_flight_ == 0) return std::nullopt;
      if (work && in_flight_ < allowed_) {
        Chunk c;
        if (!retry_.empty()) {
          c = retry_.front();
          retry_.pop_front();
        } else {
          c = {next_, std::min(size_, total_ - next_)};
          next_ += c.n;
        }
        ++in_flight_;
        ++out_.calls;
        return c;
      }
      cv_.wait(lock);
    }
  }

  void succeeded(const Chunk& c, KeptPairs kept) {
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
    read_.emplace(c.pos, std::move(kept));
    out_.pairs_read += c.n;
    out_.smallest_batch =
        out_.smallest_batch == 0 ? c.n : std::min<std::uint64_t>(out_.smallest_batch, c.n);
    if (++streak_ >= grow_after_ && (size_ < initial_ || allowed_ < concurrency_)) {
      size_ = std::min(size_ * 2, initial_);
      allowed_ = std::min(allowed_ + 1, concurrency_);
      streak_ = 0;
    }
    cv_.notify_all();
  }

  void failed(const Chunk& c, const Status& st) {
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
    ++out_.retries;
    streak_ = 0;
    const bool rate_limited = st.code() == ErrorCode::kRateLimited;
    const bool give_up = hopeless(st.code()) || out_.retries > max_retries_;
    log_warn("reconcile_balance_call_failed",
             {{"pairs", c.n},
              {"error", st.to_string()},
              {"next", give_up        ? "stop: the pairs left unread make the report partial"
                       : rate_limited ? "retry with fewer calls in flight"
                       : c.n > 1      ? "retry with half"
                                      : "retry"}});
    if (give_up) {
      if (out_.failure.ok()) {
        out_.failure =
            st.with_context("balanceOfBatch of " + std::to_string(c.n) + " pairs, after " +
                            std::to_string(out_.retries) + " failed calls");
      }
    } else if (rate_limited) {
      // The size is not the problem: the same chunk again, with fewer calls in flight.
      ++out_.rate_limited;
      allowed_ = std::max<std::size_t>(allowed_ / 2, 1);
      retry_.push_front(c);
    } else if (c.n > 1) {
      const std::size_t half = c.n / 2;
      retry_.push_front({c.pos + half, c.n - half});
      retry_.push_front({c.pos, half});
      size_ = std::min(size_, half);
    } else {
      retry_.push_front(c);
    }
    cv_.notify_all();
  }

  // REQUIRES: every worker has returned.
  BalanceSweep finish() {
    for (auto& [pos, kept] : read_) {  // pair order, so every insert is at the end
      for (auto& [pair, balance] : kept)
        out_.balances.emplace_hint(out_.balances.end(), std::move(pair), balance);
    }
    read_.clear();
    out_.pairs_unread = total_ - out_.pairs_read;
    return std::move(out_);
  }

 private:
  const std::size_t total_;
  const std::size_t initial_;
  const std::size_t grow_after_;
  const std::uint32_t max_retries_;
  const std::size_t concurrency_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t next_ = 0;                   // GUARDED_BY(mu_): first pair never handed out
  std::size_t size_;                       // GUARDED_BY(mu_): size of the next fresh chunk
  std::size_t allowed_;                    // GUARDED_BY(mu_): calls allowed in flight
  std::size_t in_flight_ = 0;              // GUARDED_BY(mu_)
  std::size_t streak_ = 0;                 // GUARDED_BY(mu_): successes in a row
  std::deque<Chunk> retry_;                // GUARDED_BY(mu_): failed chunks (or halves) to read
  std::map<std::size_t, KeptPairs> read_;  // GUARDED_BY(mu_): by chunk position
  BalanceSweep out_;                       // GUARDED_BY(mu_); balances filled by finish()
};

struct SweepInputs {
  eth::ChainSource& chain;
  const eth::Address& contract;
  const std::vector<eth::Address>& wallets;
  const std::vector<std::uint32_t>& levels;
  std::uint64_t at;
  const std::set<WalletLevel>* zero_pairs_kept;
};

// One worker: takes chunks and reads them until the plan has none left for it.
void sweep_worker(const SweepInputs& in, SweepPlan& plan) {
  std::vector<eth::Address> owners;
  std::vector<eth::U256> ids;
  const std::size_t levels = in.levels.size();
  const eth::U256 zero;
  while (std::optional<Chunk> c = plan.take()) {
    owners.clear();
    ids.clear();
    for (std::size_t i = c->pos; i < c->pos + c->n; ++i) {
      owners.push_back(in.wallets[i / levels]);
      ids.push_back(eth::U256(in.levels[i % levels]));
    }
    Result<std::vector<eth::U256>> got = in.chain.balance_of_batch(in.contract, owners, ids, in.at);
    if (got.ok() && got->size() != c->n) {
      got =
          error(ErrorCode::kBadResponse, "balanceOfBatch returned " + std::to_string(got->size()) +
                                             " balances for " + std::to_string(c->n) + " pairs");
    }
    if (!got.ok()) {
      plan.failed(*c, got.status());
      continue;
    }
    KeptPairs kept;
    for (std::size_t i = 0; i < c->n; ++i) {
      WalletLevel pair{owners[i], in.levels[(c->pos + i) % levels]};
      if (in.zero_pairs_kept != nullptr && (*got)[i] == zero && !in.zero_pairs_kept->count(pair))
        continue;
      kept.emplace_back(std::move(pair), (*got)[i]);
    }
    plan.succeeded(*c, std::move(kept));
  }
}

}  // namespace

BalanceSweep sweep_balances(eth::ChainSource& chain, const eth::Address& contract,
                            const std::vector<eth::Address>& wallets,
                            const std::vector<std::uint32_t>& levels, std::uint64_t at,
                            const BalanceSweepOptions& options) {
  SweepPlan plan(wallets.size() * levels.size(), options);
  const SweepInputs in{chain, contract, wallets, levels, at, options.zero_pairs_kept};
  std::vector<std::thread> helpers;
  for (std::size_t i = 1; i < plan.concurrency(); ++i)
    helpers.emplace_back([&in, &plan] { sweep_worker(in, plan); });
  sweep_worker(in, plan);
  for (std::thread& t : helpers) t.join();
  return plan.finish();
}

}  // namespace claimsync::node
