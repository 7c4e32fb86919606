#include "tests/support/sink_conformance.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>

namespace claimsync::testing {
namespace {

using store::Claim;
using store::ClaimState;

std::string join(const SqlRows& rows) {
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t j = 0; j < row.size(); ++j) {
      if (j) out += '|';
      out += row[j];
    }
    out += '\n';
  }
  return out;
}

std::string scalar(const SinkHarness& h, const std::string& db, const std::string& sql) {
  const SqlRows rows = h.query(db, sql);
  REQUIRE(rows.size() == 1);
  REQUIRE(rows[0].size() == 1);
  return rows[0][0];
}

std::string key_literal(const Claim& c) { return "'" + c.key.to_string() + "'"; }

// The expected membership table per the rules: per (wallet, level) the claim with the
// earliest (block_time, claim_key); rows "wallet|level|claim_key".
std::string expected_membership(const std::vector<Claim>& claims) {
  std::map<std::pair<std::string, std::uint32_t>, std::pair<std::uint64_t, std::string>> best;
  for (const Claim& c : claims) {
    const auto k = std::make_pair(c.wallet.lower_hex(), c.level);
    const auto v = std::make_pair(c.block_time, c.key.to_string());
    auto it = best.find(k);
    if (it == best.end() || v < it->second) best[k] = v;
  }
  std::string out;
  for (const auto& [k, v] : best)
    out += k.first + "|" + std::to_string(k.second) + "|" + v.second + "\n";
  return out;
}

// "wallet|current_level" for every wallet with claims: the maximum level.
std::string expected_levels(const std::vector<Claim>& claims) {
  std::map<std::string, std::uint32_t> level;
  for (const Claim& c : claims)
    level[c.wallet.lower_hex()] = std::max(level[c.wallet.lower_hex()], c.level);
  std::string out;
  for (const auto& [w, l] : level) out += w + "|" + std::to_string(l) + "\n";
  return out;
}

std::vector<Claim> without(const std::vector<Claim>& all, const std::vector<Claim>& removed) {
  std::set<store::ClaimKey> gone;
  for (const Claim& c : removed) gone.insert(c.key);
  std::vector<Claim> out;
  for (const Claim& c : all) {
    if (!gone.count(c.key)) out.push_back(c);
  }
  return out;
}

void require_ok(const store::SinkResult& r) {
  INFO(r.status.to_string());
  REQUIRE(r.status.ok());
  REQUIRE(r.rejected.empty());
}

}  // namespace

SinkTables dump_tables(const SinkHarness& h, const std::string& db) {
  SinkTables t;
  t.users = join(h.query(db, "SELECT wallet_address, referrer_wallet FROM users ORDER BY 1"));
  t.members = join(h.query(db,
                           "SELECT wallet_address, current_level, activated_at, referrer_wallet "
                           "FROM members ORDER BY 1"));
  t.membership = join(
      h.query(db,
              "SELECT wallet_address, nft_level, activated_at, claim_key, tx_hash FROM membership "
              "ORDER BY 1, 2"));
  t.ledger = join(h.query(
      db,
      "SELECT claim_key, chain_id, tx_hash, log_index, batch_index, wallet_address, level, amount, "
      "block_number, block_hash, block_time, referrer_wallet, status, attempts, error_message, "
      "source, completed_at IS NOT NULL, revoked_at IS NOT NULL FROM claim_sync_queue ORDER BY 1"));
  return t;
}

void apply_all(store::MembershipSink& sink, const std::vector<Claim>& claims, std::size_t batch) {
  for (std::size_t i = 0; i < claims.size(); i += batch) {
    const std::vector<Claim> part(
        claims.begin() + static_cast<std::ptrdiff_t>(i),
        claims.begin() + static_cast<std::ptrdiff_t>(std::min(claims.size(), i + batch)));
    require_ok(sink.apply(part));
  }
}

void check_schema(const SinkHarness& h) {
  auto sink = h.open_fresh("schema");
  REQUIRE(sink->ping().ok());
  CHECK(scalar(h, "schema", "SELECT count(*) FROM schema_migrations") == "3");
  for (const auto& row :
       h.query("schema", "SELECT version, name, checksum FROM schema_migrations")) {
    CHECK(row[2].size() == 64);
    CHECK(row[1].ends_with(".sql"));
  }
  for (const char* table : {"users", "members", "membership", "claim_sync_queue",
                            "v_claim_sync_health", "v_failed_claims"}) {
    INFO(table);
    CHECK_NOTHROW(h.query("schema", std::string("SELECT * FROM ") + table));
  }
  // Wallets and hashes are lower-case by constraint.
  CHECK_THROWS(h.exec("schema",
                      "INSERT INTO users (wallet_address) VALUES "
                      "('0xABCD000000000000000000000000000000000000')"));
  CHECK_THROWS(h.exec("schema", "INSERT INTO users (wallet_address) VALUES ('0xabcd')"));
  CHECK_NOTHROW(h.exec("schema",
                       "INSERT INTO users (wallet_address) VALUES "
                       "('0xabcd000000000000000000000000000000000000')"));
  // The views report what the ledger holds: one done, one dead.
  Claim dead = make_claim(1);
  dead.state = ClaimState::kDead;
  dead.attempts = 8;
  dead.last_error = "constraint violated";
  REQUIRE(sink->record({store::LedgerUpdate{dead}}).ok());
  require_ok(sink->apply({make_claim(2)}));
  const SqlRows health = h.query("schema",
                                 "SELECT pending_count, retrying_count, failed_count, "
                                 "completed_count FROM v_claim_sync_health");
  REQUIRE(health.size() == 1);
  CHECK(health[0] == std::vector<std::string>{"0", "0", "1", "1"});
  const SqlRows failed =
      h.query("schema", "SELECT claim_key, attempts, error_message FROM v_failed_claims");
  REQUIRE(failed.size() == 1);
  CHECK(failed[0] == std::vector<std::string>{dead.key.to_string(), "8", "constraint violated"});
}

void check_idempotent_and_commutative(const SinkHarness& h) {
  const std::vector<Claim> claims = make_claims(300);
  auto a = h.open_fresh("idem_a");
  apply_all(*a, claims, 64);
  const SinkTables once = dump_tables(h, "idem_a");
  CHECK(once.membership.size() > 0);
  CHECK(std::count(once.ledger.begin(), once.ledger.end(), '\n') == 300);
  apply_all(*a, claims, 64);
  apply_all(*a, claims, 100);
  CHECK(dump_tables(h, "idem_a") == once);

  // Another database: shuffled, other batch sizes, duplicates inside a batch, single claims.
  std::vector<Claim> shuffled = claims;
  std::mt19937 rng(20240611);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  shuffled.insert(shuffled.begin() + 10, claims.begin(), claims.begin() + 20);
  auto b = h.open_fresh("idem_b");
  apply_all(*b, shuffled, 37);
  for (auto it = claims.rbegin(); it != claims.rbegin() + 25; ++it) require_ok(b->apply({*it}));
  const SinkTables other = dump_tables(h, "idem_b");
  CHECK(other.users == once.users);
  CHECK(other.members == once.members);
  CHECK(other.membership == once.membership);
  CHECK(other.ledger == once.ledger);

  // And all in one call, reversed.
  auto c = h.open_fresh("idem_c");
  require_ok(c->apply(std::vector<Claim>(claims.rbegin(), claims.rend())));
  CHECK(dump_tables(h, "idem_c") == once);
}

void check_level_rules(const SinkHarness& h) {
  const std::vector<Claim> claims = make_claims(300);
  auto sink = h.open_fresh("levels");
  std::vector<Claim> shuffled = claims;
  std::mt19937 rng(7);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  apply_all(*sink, shuffled, 50);
  // membership: one row per (wallet, level), from the earliest claim.
  CHECK(
      join(h.query("levels",
                   "SELECT wallet_address, nft_level, claim_key FROM membership ORDER BY 1, 2")) ==
      expected_membership(claims));
  // members: the highest level; activated_at = the earliest membership.
  CHECK(join(h.query("levels", "SELECT wallet_address, current_level FROM members ORDER BY 1")) ==
        expected_levels(claims));
  CHECK(scalar(h, "levels",
               "SELECT count(*) FROM members m WHERE m.activated_at <> "
               "(SELECT min(activated_at) FROM membership ms WHERE ms.wallet_address = "
               "m.wallet_address)") == "0");
  // Every wallet has a users row, also those whose first claim was above level 1.
  CHECK(scalar(h, "levels", "SELECT count(*) FROM users") == "40");
  CHECK(scalar(h, "levels",
               "SELECT count(*) FROM members m WHERE NOT EXISTS (SELECT 1 FROM membership ms "
               "WHERE ms.wallet_address = m.wallet_address AND ms.nft_level = 1)") != "0");
  // Referrers come with the claims that carry one (every 7th claim: wallets 0, 7, 14, ...).
  CHECK(scalar(h, "levels", "SELECT count(*) FROM users WHERE referrer_wallet IS NOT NULL") ==
        scalar(h, "levels", "SELECT count(*) FROM members WHERE referrer_wallet IS NOT NULL"));
  CHECK(scalar(h, "levels",
               "SELECT referrer_wallet FROM users WHERE wallet_address = '" +
                   make_claim(0).wallet.lower_hex() + "'") == make_claim(0).referrer->lower_hex());

  // A single higher level for a new wallet creates the user and member at that level.
  Claim lone = make_claim(5);
  lone.wallet = eth::Address::parse("0x00000000000000000000000000000000000000aa").value();
  lone.level = 3;
  require_ok(sink->apply({lone}));
  CHECK(scalar(h, "levels",
               "SELECT current_level FROM members WHERE wallet_address = '" +
                   lone.wallet.lower_hex() + "'") == "3");
  CHECK(scalar(h, "levels",
               "SELECT count(*) FROM users WHERE wallet_address = '" + lone.wallet.lower_hex() +
                   "'") == "1");
}

void check_revocation(const SinkHarness& h) {
  const std::vector<Claim> claims = make_claims(300);
  std::vector<Claim> revoked;
  const eth::Address gone_wallet = make_claim(3).wallet;  // loses every claim
  for (std::size_t i = 0; i < claims.size(); ++i) {
    if (i % 5 == 0 || claims[i].wallet == gone_wallet) revoked.push_back(claims[i]);
  }
  const std::vector<Claim> kept = without(claims, revoked);

  auto a = h.open_fresh("rev_a");
  apply_all(*a, claims, 100);
  // A row the application made itself (no claim_key) is never removed by a revocation.
  const std::string kept_wallet = make_claim(4).wallet.lower_hex();
  h.exec("rev_a", "INSERT INTO membership (wallet_address, nft_level, activated_at) VALUES ('" +
                      kept_wallet + "', 9, '2023-01-01T00:00:00.000Z')");
  std::vector<Claim> revoked_plus = revoked;
  for (const Claim& c : claims) {
    if (c.wallet.lower_hex() == kept_wallet) revoked_plus.push_back(c);
  }
  revoked_plus.push_back(make_claim(100'000));  // never applied: ledger row only
  require_ok(a->revoke(std::vector<Claim>(revoked_plus.begin(), revoked_plus.begin() + 40)));
  require_ok(a->revoke(std::vector<Claim>(revoked_plus.begin() + 40, revoked_plus.end())));
  const SinkTables after = dump_tables(h, "rev_a");
  require_ok(a->revoke(revoked_plus));  // idempotent
  CHECK(dump_tables(h, "rev_a") == after);

  // What remains equals applying only the kept claims (plus the application's own row).
  const std::vector<Claim> kept_final = without(kept, revoked_plus);
  CHECK(join(h.query("rev_a",
                     "SELECT wallet_address, nft_level, claim_key FROM membership "
                     "WHERE claim_key IS NOT NULL ORDER BY 1, 2")) ==
        expected_membership(kept_final));
  auto b = h.open_fresh("rev_b");
  apply_all(*b, kept_final, 100);
  const std::string live_members =
      "SELECT wallet_address, current_level, activated_at FROM members "
      "WHERE current_level > 0 AND wallet_address <> '" +
      kept_wallet + "' ORDER BY 1";
  CHECK(join(h.query("rev_a", live_members)) == join(h.query("rev_b", live_members)));
  CHECK(scalar(h, "rev_a",
               "SELECT current_level FROM members WHERE wallet_address = '" +
                   gone_wallet.lower_hex() + "'") == "0");
  CHECK(scalar(h, "rev_a",
               "SELECT count(*) FROM users WHERE wallet_address = '" + gone_wallet.lower_hex() +
                   "'") == "1");
  CHECK(scalar(h, "rev_a",
               "SELECT current_level FROM members WHERE wallet_address = '" + kept_wallet + "'") ==
        "9");
  std::set<store::ClaimKey> revoked_keys;
  for (const Claim& c : revoked_plus) revoked_keys.insert(c.key);
  CHECK(scalar(h, "rev_a", "SELECT count(*) FROM claim_sync_queue WHERE status = 'revoked'") ==
        std::to_string(revoked_keys.size()));
  CHECK(scalar(h, "rev_a",
               "SELECT status FROM claim_sync_queue WHERE claim_key = " +
                   key_literal(make_claim(100'000))) == "revoked");

  // Re-applying the revoked claims restores exactly the full state.
  h.exec("rev_a", "DELETE FROM membership WHERE claim_key IS NULL");
  apply_all(*a, claims, 100);
  const std::vector<Claim> never{make_claim(100'000)};
  auto c = h.open_fresh("rev_c");
  apply_all(*c, claims, 100);
  require_ok(c->revoke(never));
  const SinkTables restored = dump_tables(h, "rev_a");
  const SinkTables full = dump_tables(h, "rev_c");
  CHECK(restored.users == full.users);
  CHECK(restored.membership == full.membership);
  CHECK(restored.ledger == full.ledger);
  // members: equal except the application's level 9 that was removed by hand above.
  CHECK(join(h.query("rev_a", live_members)) == join(h.query("rev_c", live_members)));
}

void check_claim_failure_isolated(const SinkHarness& h) {
  const std::vector<Claim> claims = make_claims(60);
  const std::string bad = claims[5].wallet.lower_hex();
  auto sink = h.open_fresh("isolate");
  h.exec("isolate", h.reject_wallet_sql(bad));
  const store::SinkResult r = sink->apply(claims);
  INFO(r.status.to_string());
  REQUIRE(r.status.ok());
  std::set<store::ClaimKey> expected, got;
  for (const Claim& c : claims) {
    if (c.wallet.lower_hex() == bad) expected.insert(c.key);
  }
  for (const auto& rej : r.rejected) {
    got.insert(rej.key);
    CHECK(rej.error.find("rejected by test trigger") != std::string::npos);
  }
  CHECK(got == expected);
  CHECK(scalar(h, "isolate", "SELECT count(*) FROM claim_sync_queue") ==
        std::to_string(claims.size() - expected.size()));
  CHECK(scalar(h, "isolate",
               "SELECT count(*) FROM membership WHERE wallet_address = '" + bad + "'") == "0");
  CHECK(scalar(h, "isolate", "SELECT count(*) FROM users WHERE wallet_address = '" + bad + "'") ==
        "0");
  CHECK(
      join(h.query("isolate",
                   "SELECT wallet_address, nft_level, claim_key FROM membership ORDER BY 1, 2")) ==
      expected_membership(without(claims, [&] {
        std::vector<Claim> out;
        for (const Claim& c : claims) {
          if (c.wallet.lower_hex() == bad) out.push_back(c);
        }
        return out;
      }())));
}

void check_literal_strings(const SinkHarness& h) {
  const std::vector<std::string> nasty = {
      "'; DROP TABLE users; --",
      "\"quoted\" \\backslash\\ {braces},commas\\\"",
      "NULL",
      "$1 ?1 ? :name %s %% \\x00",
      "\xc3\xbc"
      "n\xc3\xaf"
      "c\xc3\xb6"
      "d\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \t\r\n end",
      "{\"a\":[1,2]}",
      "Robert'); DELETE FROM claim_sync_queue WHERE ('1'='1",
  };
  auto sink = h.open_fresh("literal");
  for (std::size_t i = 0; i < nasty.size(); ++i) {
    Claim c = make_claim(i);
    c.state = ClaimState::kRetrying;
    c.last_error = nasty[i];
    REQUIRE(sink->record({store::LedgerUpdate{c}}).ok());
    Claim applied = make_claim(100 + i);
    applied.last_error = nasty[i];
    require_ok(sink->apply({applied}));
  }
  for (std::size_t i = 0; i < nasty.size(); ++i) {
    INFO(nasty[i]);
    CHECK(scalar(h, "literal",
                 "SELECT error_message FROM claim_sync_queue WHERE claim_key = " +
                     key_literal(make_claim(i))) == nasty[i]);
    CHECK(scalar(h, "literal",
                 "SELECT error_message FROM claim_sync_queue WHERE claim_key = " +
                     key_literal(make_claim(100 + i))) == nasty[i]);
  }
  CHECK(scalar(h, "literal", "SELECT count(*) FROM claim_sync_queue") ==
        std::to_string(2 * nasty.size()));
  CHECK(scalar(h, "literal", "SELECT count(*) FROM users") != "0");
}

void check_record(const SinkHarness& h) {
  auto sink = h.open_fresh("record");
  Claim c = make_claim(9);
  const std::string status_sql =
      "SELECT status, attempts, error_message FROM claim_sync_queue WHERE claim_key = " +
      key_literal(c);
  c.state = ClaimState::kRetrying;
  c.attempts = 1;
  c.last_error = "e1";
  REQUIRE(sink->record({store::LedgerUpdate{c}}).ok());
  CHECK(h.query("record", status_sql) == SqlRows{{"retrying", "1", "e1"}});
  CHECK(scalar(h, "record", "SELECT count(*) FROM membership") == "0");  // ledger only
  c.state = ClaimState::kDead;
  c.attempts = 8;
  c.last_error = "e8";
  REQUIRE(sink->record({store::LedgerUpdate{c}}).ok());
  CHECK(h.query("record", status_sql) == SqlRows{{"dead", "8", "e8"}});
  c.state = ClaimState::kPending;  // operator's retry
  require_ok(sink->apply({c}));
  CHECK(h.query("record", status_sql) == SqlRows{{"done", "8", "e8"}});
  // done is only left through revocation.
  c.state = ClaimState::kRetrying;
  REQUIRE(sink->record({store::LedgerUpdate{c}}).ok());
  c.state = ClaimState::kDone;
  c.attempts = 99;
  REQUIRE(sink->record({store::LedgerUpdate{c}}).ok());
  CHECK(h.query("record", status_sql) == SqlRows{{"done", "8", "e8"}});
  c.state = ClaimState::kRevoking;
  REQUIRE(sink->record({store::LedgerUpdate{c}}).ok());
  CHECK(h.query("record", status_sql)[0][0] == "revoking");
  require_ok(sink->revoke({c}));
  c.state = ClaimState::kRetrying;
  REQUIRE(sink->record({store::LedgerUpdate{c}}).ok());
  CHECK(h.query("record", status_sql)[0][0] == "revoked");
  CHECK(sink->record({}).ok());
}

}  // namespace claimsync::testing
