#include "tests/support/fake_sink.hpp"

#include <algorithm>

namespace claimsync::testing {

using store::Claim;
using store::ClaimKey;
using store::SinkResult;

void FakeSink::set_down(bool down, ErrorCode code) {
  std::lock_guard<std::mutex> lock(mu_);
  down_ = down;
  down_code_ = code;
}

void FakeSink::fail_next_calls(int n, ErrorCode code) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_ = n;
  fail_code_ = code;
}

void FakeSink::lose_next_replies(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  lose_replies_ = n;
}

std::size_t FakeSink::replies_lost() const {
  std::lock_guard<std::mutex> lock(mu_);
  return replies_lost_;
}

void FakeSink::reject_when(RejectFn reject) {
  std::lock_guard<std::mutex> lock(mu_);
  reject_ = std::move(reject);
}

void FakeSink::on_commit(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  on_commit_ = std::move(hook);
}

Status FakeSink::scripted_failure() {
  if (down_) return error(down_code_, "fake sink: database is down");
  if (fail_next_ > 0) {
    --fail_next_;
    return error(fail_code_, "fake sink: scripted failure");
  }
  return {};
}

Status FakeSink::begin_call(std::size_t& counter, std::size_t claims) {
  ++counter;
  largest_call_ = std::max(largest_call_, claims);
  Status st = scripted_failure();
  if (!st.ok()) ++failed_calls_;
  return st;
}

Status FakeSink::ping() {
  std::lock_guard<std::mutex> lock(mu_);
  ++ping_calls_;
  Status st = scripted_failure();
  if (!st.ok()) ++failed_calls_;
  return st;
}

template <typename Fn>
SinkResult FakeSink::per_claim(std::size_t& counter, const std::vector<Claim>& claims,
                               Fn&& commit_one) {
  std::function<void()> hook;
  SinkResult result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    result.status = begin_call(counter, claims.size());
    if (!result.status.ok()) return result;
    for (const Claim& c : claims) {
      std::optional<std::string> why = reject_ ? reject_(c) : std::nullopt;
      if (why) {
        result.rejected.push_back({c.key, *why});
        continue;
      }
      commit_one(c);
    }
    hook = on_commit_;
    if (lose_replies_ > 0) {
      --lose_replies_;
      ++replies_lost_;
      ++failed_calls_;
      result = {error(ErrorCode::kUnavailable, "fake sink: connection lost before the reply"), {}};
    }
  }
  if (hook) hook();
  return result;
}

SinkResult FakeSink::apply(const std::vector<Claim>& claims) {
  return per_claim(apply_calls_, claims, [this](const Claim& c) {
    ++apply_commits_[c.key];
    claims_[c.key] = c;
    LedgerRow& row = ledger_[c.key];
    if (row.status != "done") row.block_hash = c.block_hash.hex();
    row.status = "done";
    row.last_error.clear();
    memberships_.insert({c.wallet.lower_hex(), c.level});
  });
}

SinkResult FakeSink::revoke(const std::vector<Claim>& claims) {
  return per_claim(revoke_calls_, claims, [this](const Claim& c) {
    claims_[c.key] = c;
    LedgerRow& row = ledger_[c.key];
    if (row.status.empty()) row.block_hash = c.block_hash.hex();
    row.status = "revoked";
    drop_membership_if_unheld(c);
  });
}

void FakeSink::drop_membership_if_unheld(const Claim& claim) {
  for (const auto& [key, row] : ledger_) {
    const Claim& other = claims_.at(key);
    if (row.status == "done" && other.wallet == claim.wallet && other.level == claim.level) return;
  }
  memberships_.erase({claim.wallet.lower_hex(), claim.level});
}

Status FakeSink::record(const std::vector<store::LedgerUpdate>& updates) {
  std::lock_guard<std::mutex> lock(mu_);
  Status st = begin_call(record_calls_, 0);
  if (!st.ok()) return st;
  for (const store::LedgerUpdate& u : updates) {
    claims_.emplace(u.claim.key, u.claim);
    LedgerRow& row = ledger_[u.claim.key];
    const std::string status = store::claim_state_name(u.claim.state);
    // As the real sinks: the mirror never overwrites what apply()/revoke() wrote, except
    // done -> revoking.
    if (row.status == "revoked" || (row.status == "done" && status != "revoking")) continue;
    if (row.status.empty()) row.block_hash = u.claim.block_hash.hex();
    row.status = status;
    row.attempts = u.claim.attempts;
    row.last_error = u.claim.last_error;
  }
  return {};
}

std::size_t FakeSink::ping_calls() const {
  std::lock_guard<std::mutex> l(mu_);
  return ping_calls_;
}
std::size_t FakeSink::apply_calls() const {
  std::lock_guard<std::mutex> l(mu_);
  return apply_calls_;
}
std::size_t FakeSink::revoke_calls() const {
  std::lock_guard<std::mutex> l(mu_);
  return revoke_calls_;
}
std::size_t FakeSink::record_calls() const {
  std::lock_guard<std::mutex> l(mu_);
  return record_calls_;
}
std::size_t FakeSink::failed_calls() const {
  std::lock_guard<std::mutex> l(mu_);
  return failed_calls_;
}
std::size_t FakeSink::largest_call() const {
  std::lock_guard<std::mutex> l(mu_);
  return largest_call_;
}

std::map<ClaimKey, int> FakeSink::apply_commits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return apply_commits_;
}

std::set<std::pair<std::string, std::uint32_t>> FakeSink::memberships() const {
  std::lock_guard<std::mutex> lock(mu_);
  return memberships_;
}

std::optional<FakeSink::LedgerRow> FakeSink::ledger(const ClaimKey& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = ledger_.find(key);
  if (it == ledger_.end()) return std::nullopt;
  return it->second;
}

std::size_t FakeSink::ledger_count(const std::string& status) const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<std::size_t>(std::count_if(
      ledger_.begin(), ledger_.end(), [&](const auto& kv) { return kv.second.status == status; }));
}

}  // namespace claimsync::testing
