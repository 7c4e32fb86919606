// ForwardingNodeStore: a NodeStore that passes every call to another one. Tests derive
// from it and override the one call they want to interpose on (e.g. run a reorg between
// the replicator's due() and its mark_sent()), so races that depend on thread timing in
// the node become one deterministic step in a test.
//
// Ownership: does not own `inner`, which must outlive it. Threading: as `inner`.
#pragma once

#include "storage/node_store.hpp"

namespace claimsync::testing {

class ForwardingNodeStore : public store::NodeStore {
 public:
  explicit ForwardingNodeStore(store::NodeStore& inner) : inner_(inner) {}

  store::StoreIdentity identity() const override { return inner_.identity(); }
  std::optional<std::uint64_t> checkpoint() const override { return inner_.checkpoint(); }
  Result<store::CommitOutcome> commit_range(const store::BlockRange& range,
                                            const std::vector<store::BlockRecord>& blocks,
                                            const std::vector<store::Claim>& claims,
                                            std::int64_t now_ms) override {
    return inner_.commit_range(range, blocks, claims, now_ms);
  }
  std::optional<store::BlockRecord> block(std::uint64_t number) const override {
    return inner_.block(number);
  }
  std::vector<store::BlockRecord> blocks_descending(std::uint64_t at_or_below,
                                                    std::size_t limit) const override {
    return inner_.blocks_descending(at_or_below, limit);
  }
  Result<store::RollbackOutcome> rollback_to(std::uint64_t fork_point,
                                             std::int64_t now_ms) override {
    return inner_.rollback_to(fork_point, now_ms);
  }
  Status prune_blocks_below(std::uint64_t number) override {
    return inner_.prune_blocks_below(number);
  }
  std::vector<store::BlockRange> ranges() const override { return inner_.ranges(); }
  std::vector<store::BlockRange> holes(std::uint64_t from, std::uint64_t to) const override {
    return inner_.holes(from, to);
  }
  Result<store::IngestOutcome> ingest(const store::Claim& claim, std::int64_t now_ms) override {
    return inner_.ingest(claim, now_ms);
  }
  Result<store::IngestOutcome> ingest_hint(const store::Claim& claim,
                                           const std::optional<eth::Hash32>& referral_nonce,
                                           std::int64_t now_ms) override {
    return inner_.ingest_hint(claim, referral_nonce, now_ms);
  }
  Result<store::RequeueOutcome> requeue_for_repair(store::SinkOp op,
                                                   const std::vector<store::Claim>& claims,
                                                   std::int64_t now_ms) override {
    return inner_.requeue_for_repair(op, claims, now_ms);
  }
  Result<std::vector<store::Claim>> due(std::int64_t now_ms, std::size_t limit) const override {
    return inner_.due(now_ms, limit);
  }
  std::optional<std::int64_t> next_due_at() const override { return inner_.next_due_at(); }
  Status mark_replicated(const std::vector<store::ClaimKey>& keys, std::int64_t now_ms) override {
    return inner_.mark_replicated(keys, now_ms);
  }
  Result<std::vector<store::Claim>> mark_sent(store::SinkOp op,
                                              const std::vector<store::Claim>& taken) override {
    return inner_.mark_sent(op, taken);
  }
  Result<store::SettleOutcome> settle(store::SinkOp op, const std::vector<store::Claim>& sent,
                                      std::int64_t now_ms) override {
    return inner_.settle(op, sent, now_ms);
  }
  Result<store::ClaimState> mark_failed(const store::ClaimKey& key, const std::string& error,
                                        std::int64_t retry_at_ms, std::uint32_t max_attempts,
                                        std::int64_t now_ms,
                                        std::optional<store::SinkOp> op) override {
    return inner_.mark_failed(key, error, retry_at_ms, max_attempts, now_ms, op);
  }
  Status retry_dead(const store::ClaimKey& key, std::int64_t now_ms) override {
    return inner_.retry_dead(key, now_ms);
  }
  std::optional<store::Claim> get(const store::ClaimKey& key) const override {
    return inner_.get(key);
  }
  std::vector<store::Claim> list_by_state(
      store::ClaimState state, std::size_t limit,
      const std::optional<store::ClaimKey>& after) const override {
    return inner_.list_by_state(state, limit, after);
  }
  std::vector<store::Claim> list_by_tx(std::uint64_t chain_id,
                                       const eth::Hash32& tx) const override {
    return inner_.list_by_tx(chain_id, tx);
  }
  std::vector<store::Claim> list_by_wallet(const eth::Address& wallet,
                                           std::size_t limit) const override {
    return inner_.list_by_wallet(wallet, limit);
  }
  store::StateCounters counters() const override { return inner_.counters(); }
  std::optional<std::int64_t> oldest_pending_created_ms() const override {
    return inner_.oldest_pending_created_ms();
  }
  Status put_note(const std::string& name, const std::string& value) override {
    return inner_.put_note(name, value);
  }
  std::optional<std::string> note(const std::string& name) const override {
    return inner_.note(name);
  }

 protected:
  store::NodeStore& inner_;
};

}  // namespace claimsync::testing
