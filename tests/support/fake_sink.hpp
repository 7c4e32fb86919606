// FakeSink: a scripted, in-memory MembershipSink for deterministic tests of the replicator
// (and anything else that writes to a sink).
//
// It models the real sinks' contract: apply/revoke are all-or-nothing per call for
// whole-call failures, per-claim rejections leave the other claims committed, and both
// are idempotent (a membership row per (wallet, level), a ledger row per claim key).
// Scripts: an outage (every call fails with kUnavailable until lifted), a number of
// failing calls, calls that commit but lose their reply, and a predicate that rejects particular
// claims. Everything it was asked to do is recorded for assertions.
//
// Thread-safe (a mutex), so a test may script it while a replicator thread runs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "storage/membership_sink.hpp"

namespace claimsync::testing {

class FakeSink final : public store::MembershipSink {
 public:
  // Returns an error message to reject the claim, nullopt to accept it.
  using RejectFn = std::function<std::optional<std::string>(const store::Claim&)>;

  struct LedgerRow {
    std::string status;  // "done", "revoked", or a mirrored state name ("retrying", "dead")
    std::uint32_t attempts = 0;
    std::string last_error;
    std::string block_hash;  // as the real sinks keep it: not overwritten while 'done'
  };

  // ---- script ---------------------------------------------------------------------------
  // While down, every call fails with `code` and commits nothing.
  void set_down(bool down, ErrorCode code = ErrorCode::kUnavailable);
  // The next `n` calls (any method) fail with `code` and commit nothing.
  void fail_next_calls(int n, ErrorCode code = ErrorCode::kUnavailable);
  // Claims for which `reject` returns a message are rejected by apply and revoke. Empty
  // function: accept everything.
  void reject_when(RejectFn reject);
  // The next `n` apply/revoke calls commit, then fail with kUnavailable as if the reply
  // to the COMMIT was lost: the caller cannot tell them from a call that did nothing.
  void lose_next_replies(int n);
  // Called after every successful apply/revoke commit (e.g. to simulate a crash).
  void on_commit(std::function<void()> hook);

  // ---- observations ---------------------------------------------------------------------
  std::size_t ping_calls() const;
  std::size_t apply_calls() const;  // including failed ones
  std::size_t revoke_calls() const;
  std::size_t record_calls() const;
  std::size_t failed_calls() const;  // whole-call failures returned (incl. lost replies)
  std::size_t replies_lost() const;
  std::size_t largest_call() const;  // most claims in one apply/revoke call
  // How often each claim was committed by apply (a replay shows as > 1).
  std::map<store::ClaimKey, int> apply_commits() const;
  // The membership rows: (lower-case wallet, level).
  std::set<std::pair<std::string, std::uint32_t>> memberships() const;
  std::optional<LedgerRow> ledger(const store::ClaimKey& key) const;
  std::size_t ledger_count(const std::string& status) const;

  // ---- MembershipSink -------------------------------------------------------------------
  Status ping() override;
  store::SinkResult apply(const std::vector<store::Claim>& claims) override;
  store::SinkResult revoke(const std::vector<store::Claim>& claims) override;
  Status record(const std::vector<store::LedgerUpdate>& updates) override;

 private:
  // The scripted whole-call failure for this call, if any. REQUIRES: mu_ held.
  Status scripted_failure();
  // Sets up a call: counts it and returns its whole-call failure. REQUIRES: mu_ held.
  Status begin_call(std::size_t& counter, std::size_t claims);
  // Drops the (wallet, level) row unless another done ledger row holds it. REQUIRES: mu_.
  void drop_membership_if_unheld(const store::Claim& claim);
  template <typename Fn>
  store::SinkResult per_claim(std::size_t& counter, const std::vector<store::Claim>& claims,
                              Fn&& commit_one);

  mutable std::mutex mu_;
  // All below GUARDED_BY(mu_).
  bool down_ = false;
  ErrorCode down_code_ = ErrorCode::kUnavailable;
  int fail_next_ = 0;
  int lose_replies_ = 0;
  std::size_t replies_lost_ = 0;
  ErrorCode fail_code_ = ErrorCode::kUnavailable;
  RejectFn reject_;
  std::function<void()> on_commit_;
  std::size_t ping_calls_ = 0, apply_calls_ = 0, revoke_calls_ = 0, record_calls_ = 0;
  std::size_t failed_calls_ = 0, largest_call_ = 0;
  std::map<store::ClaimKey, int> apply_commits_;
  std::map<store::ClaimKey, store::Claim> claims_;  // every claim ever committed
  std::map<store::ClaimKey, LedgerRow> ledger_;
  std::set<std::pair<std::string, std::uint32_t>> memberships_;
};

}  // namespace claimsync::testing
