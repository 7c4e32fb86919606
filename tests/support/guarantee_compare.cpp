#include "tests/support/guarantee_compare.hpp"

#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace claimsync::testing {
namespace {

std::string text(const PgRow& row, std::size_t i) { return row.at(i).value_or(""); }

std::uint64_t number(const PgRow& row, std::size_t i) {
  const std::string s = text(row, i);
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) {
    throw std::runtime_error("guarantee: expected a non-negative number, got '" + s + "'");
  }
  return std::stoull(s);
}

// Collects the first difference; later ones are ignored (the first is the one to debug).
class Differ {
 public:
  bool found() const { return !first_.empty(); }
  const std::string& first() const { return first_; }
  void note(const std::string& what) {
    if (first_.empty()) first_ = what;
  }
  template <typename A, typename B>
  void expect_equal(const std::string& where, const char* field, const A& actual,
                    const B& expected) {
    if (!(actual == expected)) {
      std::ostringstream s;
      s << where << ": " << field << " is " << actual << ", the chain says " << expected;
      note(s.str());
    }
  }

 private:
  std::string first_;
};

std::string describe(const ExpectedClaim& c) {
  return "claim " + c.key + " (wallet " + c.wallet + ", level " + std::to_string(c.level) +
         ", block " + std::to_string(c.block_number) + ")";
}

void compare_ledger(const ChainTruth& truth, const SinkSnapshot& sink, Differ& d) {
  std::map<std::string, const LedgerRow*> rows;
  for (const auto& row : sink.ledger) {
    if (!rows.emplace(row.key, &row).second) d.note("claim_sync_queue: duplicate row " + row.key);
  }
  for (const auto& [key, c] : truth.claims) {
    auto it = rows.find(key);
    if (it == rows.end()) {
      d.note("claim_sync_queue: MISSING " + describe(c));
      continue;
    }
    const LedgerRow& r = *it->second;
    const std::string where = "claim_sync_queue row " + key;
    if (r.status != "done") {
      d.note(where + ": status '" + r.status + "' (error: " + r.error_message +
             "), expected 'done'");
    }
    d.expect_equal(where, "chain_id", r.chain_id, std::stoull(key.substr(0, key.find(':'))));
    d.expect_equal(where, "tx_hash", r.tx_hash, c.tx_hash);
    d.expect_equal(where, "log_index", r.log_index, c.log_index);
    d.expect_equal(where, "batch_index", r.batch_index, c.batch_index);
    d.expect_equal(where, "wallet_address", r.wallet, c.wallet);
    d.expect_equal(where, "level", r.level, c.level);
    d.expect_equal(where, "amount", r.amount, std::to_string(c.amount));
    d.expect_equal(where, "block_number", r.block_number, c.block_number);
    d.expect_equal(where, "block_hash", r.block_hash, c.block_hash);
    d.expect_equal(where, "block_time", r.block_time, c.block_time);
  }
  // A claim whose block left the chain after it may have reached the sink is revoked: its
  // ledger row stays, with status 'revoked' and nothing else.
  for (const auto& [key, row] : rows) {
    if (!truth.claims.count(key) && row->status != "revoked") {
      d.note("claim_sync_queue: UNEXPECTED row " + key + " (status '" + row->status + "', block " +
             std::to_string(row->block_number) +
             "): no such mint on the canonical chain, so only status 'revoked' may remain");
    }
  }
}

// Wallets of revoked off-chain claims (their users row may stay, DESIGN §5/§7).
std::set<std::string> revoked_wallets(const ChainTruth& truth, const SinkSnapshot& sink) {
  std::set<std::string> out;
  for (const auto& row : sink.ledger) {
    if (row.status == "revoked" && !truth.claims.count(row.key)) out.insert(row.wallet);
  }
  return out;
}

void compare_membership(const ChainTruth& truth, const SinkSnapshot& sink, Differ& d) {
  std::set<std::string> revoked_keys;
  for (const auto& row : sink.ledger) {
    if (!truth.claims.count(row.key)) revoked_keys.insert(row.key);
  }
  std::set<std::pair<std::string, std::uint64_t>> seen;
  for (const auto& row : sink.membership) {
    const std::string where =
        "membership row (" + row.wallet + ", level " + std::to_string(row.level) + ")";
    if (!seen.insert({row.wallet, row.level}).second) d.note(where + ": DUPLICATE");
    if (!truth.membership.count({row.wallet, row.level})) {
      d.note(where + ": UNEXPECTED, the wallet never minted that level");
      continue;
    }
    auto claim = row.claim_key ? truth.claims.find(*row.claim_key) : truth.claims.end();
    if (claim == truth.claims.end() && row.claim_key && revoked_keys.count(*row.claim_key)) {
      d.note(where + ": claim_key '" + *row.claim_key +
             "' is a revoked claim (its block left the chain); the row must name a canonical "
             "mint of this wallet and level");
    } else if (claim == truth.claims.end() || claim->second.wallet != row.wallet ||
               claim->second.level != row.level) {
      d.note(where + ": claim_key '" + row.claim_key.value_or("NULL") +
             "' is not a mint of this wallet and level");
    }
  }
  for (const auto& [wallet, level] : truth.membership) {
    if (!seen.count({wallet, level})) {
      d.note("membership: MISSING (" + wallet + ", level " + std::to_string(level) + ")");
    }
  }
}

void compare_members(const ChainTruth& truth, const SinkSnapshot& sink, Differ& d) {
  const std::set<std::string> revoked = revoked_wallets(truth, sink);
  std::set<std::string> seen;
  for (const auto& row : sink.members) {
    const std::string where = "members row " + row.wallet;
    if (!seen.insert(row.wallet).second) d.note(where + ": DUPLICATE");
    auto level = truth.member_level.find(row.wallet);
    if (level == truth.member_level.end()) {
      d.note(where + (revoked.count(row.wallet)
                          ? ": UNEXPECTED, every claim of the wallet was revoked (the rule: no "
                            "members row when no membership remains)"
                          : ": UNEXPECTED, the wallet never minted a level"));
      continue;
    }
    d.expect_equal(where, "current_level", row.current_level, level->second);
    const std::uint64_t earliest = truth.member_activated.at(row.wallet);
    if (row.activated_at != earliest) {
      d.note(where + ": activated_at is " +
             (row.activated_at ? std::to_string(*row.activated_at) : std::string("NULL")) +
             ", the earliest mint's block time is " + std::to_string(earliest));
    }
  }
  for (const auto& [wallet, level] : truth.member_level) {
    if (!seen.count(wallet))
      d.note("members: MISSING " + wallet + " (level " + std::to_string(level) + ")");
  }
}

void compare_users(const ChainTruth& truth, const SinkSnapshot& sink, Differ& d) {
  // A wallet whose claims were all revoked may keep its users row (it is never deleted);
  // it is not required either (a revoke of a claim the sink never committed adds no user).
  const std::set<std::string> revoked = revoked_wallets(truth, sink);
  std::set<std::string> seen;
  for (const auto& wallet : sink.users) {
    if (!seen.insert(wallet).second) d.note("users row " + wallet + ": DUPLICATE");
    if (!truth.member_level.count(wallet) && !revoked.count(wallet))
      d.note("users row " + wallet + ": UNEXPECTED");
  }
  for (const auto& [wallet, level] : truth.member_level) {
    if (!seen.count(wallet)) d.note("users: MISSING " + wallet);
  }
}

std::string summary(const ChainTruth& truth, const SinkSnapshot& sink) {
  std::map<std::string, std::size_t> by_status;
  for (const auto& row : sink.ledger) ++by_status[row.status];
  std::ostringstream s;
  s << "claims:     expected " << truth.claims.size() << ", claim_sync_queue rows "
    << sink.ledger.size() << " (";
  for (const auto& [status, n] : by_status) s << status << "=" << n << " ";
  s << ")\n"
    << "membership: expected " << truth.membership.size() << ", rows " << sink.membership.size()
    << "\n"
    << "members:    expected " << truth.member_level.size() << ", rows " << sink.members.size()
    << "\n"
    << "users:      expected " << truth.member_level.size() << ", rows " << sink.users.size()
    << "\n";
  return s.str();
}

}  // namespace

SinkSnapshot read_sink(const PgCluster& pg) {
  SinkSnapshot s;
  for (const auto& row : pg.query(
           "SELECT claim_key, chain_id, tx_hash, log_index, batch_index, wallet_address, level, "
           "amount, block_number, block_hash, EXTRACT(EPOCH FROM block_time)::bigint, status, "
           "COALESCE(error_message, '') FROM claim_sync_queue ORDER BY claim_key")) {
    s.ledger.push_back(LedgerRow{text(row, 0), number(row, 1), text(row, 2), number(row, 3),
                                 number(row, 4), text(row, 5), number(row, 6), text(row, 7),
                                 number(row, 8), text(row, 9), number(row, 10), text(row, 11),
                                 text(row, 12)});
  }
  for (const auto& row :
       pg.query("SELECT wallet_address, nft_level, claim_key FROM membership ORDER BY 1, 2")) {
    s.membership.push_back(MembershipRow{text(row, 0), number(row, 1), row.at(2)});
  }
  for (const auto& row :
       pg.query("SELECT wallet_address, current_level, EXTRACT(EPOCH FROM activated_at)::bigint "
                "FROM members ORDER BY 1")) {
    std::optional<std::uint64_t> activated;
    if (row.at(2)) activated = number(row, 2);
    s.members.push_back(MemberRow{text(row, 0), number(row, 1), activated});
  }
  for (const auto& row : pg.query("SELECT wallet_address FROM users ORDER BY 1")) {
    s.users.push_back(text(row, 0));
  }
  return s;
}

Comparison compare_with_truth(const ChainTruth& truth, const SinkSnapshot& sink) {
  Differ d;
  compare_ledger(truth, sink, d);
  compare_membership(truth, sink, d);
  compare_members(truth, sink, d);
  compare_users(truth, sink, d);
  return Comparison{d.first(), summary(truth, sink)};
}

}  // namespace claimsync::testing
