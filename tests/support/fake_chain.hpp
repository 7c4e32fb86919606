// FakeChain: a scripted in-memory ChainSource for deterministic tests of the follower,
// intake and reconciler. Blocks have real hash links (hash = keccak of parent, number and
// a unique salt), ERC-1155 events are ABI-encoded exactly as a contract emits them, and a
// test can reorg the chain, move the safe/finalized tags, inject failures and run a hook
// before every call (e.g. to reorg the chain in the middle of a scan).
//
//   FakeChain chain;                                   // genesis block 0
//   chain.mine({FakeTransfer::mint(alice, 3)});        // block 1: one TransferSingle mint
//   chain.mine_empty(10);
//   chain.reorg(4, {{FakeTransfer::mint_batch(bob, {{1, 1}, {2, 5}})}, {}});
//   auto want = chain.expected_claims({1, 2, 3});       // the canonical mints as claims
//
// Thread-safe (one mutex). The hook runs outside the lock, so it may call any method.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "rpc/chain_source.hpp"
#include "storage/claim.hpp"

namespace claimsync::testing {

// One transaction emitting one ERC-1155 transfer log.
struct FakeTransfer {
  bool batch = false;  // TransferBatch, else TransferSingle
  eth::Address from;   // zero: a mint
  eth::Address to;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> items;  // (id, value); one for a single
  std::optional<eth::Address> contract;  // another emitter (default: the chain's contract)
  std::optional<std::uint64_t> tx_id;    // stable tx hash across reorgs (else per block)
  bool malformed = false;                // data one byte short: does not decode

  static FakeTransfer mint(const eth::Address& to, std::uint64_t id, std::uint64_t value = 1);
  static FakeTransfer mint_batch(const eth::Address& to,
                                 std::vector<std::pair<std::uint64_t, std::uint64_t>> items);
  static FakeTransfer transfer(const eth::Address& from, const eth::Address& to, std::uint64_t id,
                               std::uint64_t value = 1);
};

struct FakeBlock {
  eth::BlockHeader header;
  std::vector<FakeTransfer> txs;
};

// A deterministic test wallet address: 0x00..00<n as 8 bytes>, n > 0.
eth::Address fake_wallet(std::uint64_t n);

class FakeChain final : public eth::ChainSource {
 public:
  enum class Op { kChainId, kHeader, kHeaders, kLogs, kReceipt, kBalance };
  static constexpr int kOpCount = 6;

  explicit FakeChain(std::uint64_t chain_id = 31337,
                     eth::Address contract = fake_wallet(0xC0117AC7));

  std::uint64_t id() const { return chain_id_; }
  const eth::Address& contract() const { return contract_; }

  // ---- scripting ---------------------------------------------------------------------
  std::uint64_t head() const;
  // Appends a block holding `txs` (one log each, in order); returns its number.
  std::uint64_t mine(std::vector<FakeTransfer> txs = {});
  void mine_empty(std::uint64_t blocks);
  // Drops the last `depth` blocks and appends one block per entry of `replacement` (more
  // or fewer than `depth`; empty = a shorter chain). Every new block has a new hash.
  // REQUIRES: depth <= head() (genesis stays).
  void reorg(std::uint64_t depth, const std::vector<std::vector<FakeTransfer>>& replacement);
  // Tags: safe = head - lag, finalized = head - lag; nullopt (default) = the tag is unknown
  // (header() answers kNotFound).
  void set_safe_lag(std::optional<std::uint64_t> lag);
  void set_finalized_lag(std::optional<std::uint64_t> lag);
  FakeBlock block(std::uint64_t number) const;  // REQUIRES: number <= head()
  // The whole canonical chain, and back to one saved earlier (flips between forks:
  // A -> B -> A with the same hashes as before).
  std::vector<FakeBlock> blocks() const;
  void set_blocks(std::vector<FakeBlock> blocks);  // REQUIRES: non-empty
  // Serves the chain like an endpoint `lag` blocks behind: "latest" and the tags are
  // head - lag, blocks above it are kNotFound, logs are clipped to it (0 = in sync).
  // logs() honours LogFilter::pin like RpcChainSource: kNotFound when the pinned block is
  // above the served head, kReorg when its hash differs.
  void set_lag(std::uint64_t lag);
  std::uint64_t served_head() const;  // head() - lag

  // The canonical mints of blocks [from, to] as the follower must record them: one claim
  // per element with an id in `levels` and a non-zero value (key, wallet, level, amount,
  // block number / hash / time set; nothing else).
  std::vector<store::Claim> expected_claims(const std::vector<std::uint32_t>& levels,
                                            std::uint64_t from = 0,
                                            std::uint64_t to = UINT64_MAX) const;

  // ---- faults and observation --------------------------------------------------------
  // The next `count` calls of `op` fail with `code` (before doing anything).
  void fail_next(Op op, std::uint32_t count, ErrorCode code = ErrorCode::kUnavailable);
  // Runs before every call (outside the lock); nullptr removes it.
  void set_hook(std::function<void(Op)> hook);
  std::uint64_t calls(Op op) const;

  // ---- ChainSource -------------------------------------------------------------------
  Result<std::uint64_t> chain_id() override;
  Result<eth::BlockHeader> header(eth::BlockRef block) override;
  Result<std::vector<eth::BlockHeader>> headers(const std::vector<std::uint64_t>& numbers) override;
  Result<std::vector<eth::LogEntry>> logs(const eth::LogFilter& filter) override;
  Result<std::optional<eth::Receipt>> receipt(const eth::Hash32& tx_hash) override;
  Result<std::vector<eth::U256>> balance_of_batch(const eth::Address& contract,
                                                  const std::vector<eth::Address>& owners,
                                                  const std::vector<eth::U256>& ids,
                                                  eth::BlockRef block) override;

 private:
  Status enter(Op op);  // hook, call count, injected failure
  void append_block_locked(std::vector<FakeTransfer> txs);
  std::vector<eth::LogEntry> block_logs_locked(const FakeBlock& b) const;
  std::optional<std::uint64_t> resolve_locked(const eth::BlockRef& ref) const;
  std::uint64_t served_head_locked() const;

  const std::uint64_t chain_id_;
  const eth::Address contract_;
  mutable std::mutex mu_;
  std::vector<FakeBlock> blocks_;  // GUARDED_BY(mu_); canonical chain, index = number
  std::uint64_t salt_ = 0;         // GUARDED_BY(mu_); makes every mined block unique
  std::optional<std::uint64_t> safe_lag_, finalized_lag_;  // GUARDED_BY(mu_)
  std::uint64_t lag_ = 0;                                  // GUARDED_BY(mu_)
  std::uint64_t calls_[kOpCount] = {};                     // GUARDED_BY(mu_)
  std::uint32_t fail_count_[kOpCount] = {};                // GUARDED_BY(mu_)
  ErrorCode fail_code_[kOpCount] = {};                     // GUARDED_BY(mu_)
  std::function<void(Op)> hook_;                           // GUARDED_BY(mu_)
};

}  // namespace claimsync::testing
