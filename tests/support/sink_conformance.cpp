#include "tests/support/sink_conformance.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <random>
#include <set>

#include "storage/claim_row.hpp"
#include "storage/migration_runner.hpp"
#include "storage/sink_snapshot.hpp"

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
  CHECK(scalar(h, "schema", "SELECT count(*) FROM schema_migrations") == "5");
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
  // A wallet left without membership rows is no longer a member; its users row stays.
  CHECK(scalar(h, "rev_a",
               "SELECT count(*) FROM members WHERE wallet_address = '" + gone_wallet.lower_hex() +
                   "'") == "0");
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

void check_snapshot(const SinkHarness& h) {
  auto sink = h.open_fresh("snapshot");
  const std::vector<Claim> claims = make_claims(30, 6, 4);
  apply_all(*sink, claims, 7);
  Claim revoked = claims[4];
  revoked.state = ClaimState::kRevoking;
  require_ok(sink->revoke({revoked}));
  Claim dead = make_claim(40, 6, 4);
  dead.state = ClaimState::kDead;
  REQUIRE(sink->record({store::LedgerUpdate{dead}}).ok());
  Claim other_chain = make_claim(41, 6, 4);
  other_chain.key.chain_id = 1;
  other_chain.wallet = fixture_wallet(77);
  require_ok(sink->apply({other_chain}));
  const std::string foreign = fixture_wallet(90).lower_hex();
  h.exec("snapshot", "INSERT INTO users (wallet_address) VALUES ('" + foreign + "')");
  h.exec("snapshot",
         "INSERT INTO members (wallet_address, current_level) VALUES ('" + foreign + "', 9)");
  h.exec("snapshot",
         "INSERT INTO membership (wallet_address, nft_level, activated_at, claim_key) VALUES ('" +
             foreign + "', 9, '2020-01-01T00:00:00Z', NULL), ('" + foreign +
             "', 8, '2020-01-01T00:00:00Z', 'not-a-claim-key')");

  auto reader = store::open_sink_snapshot_reader(h.url("snapshot"));
  INFO(reader.status().to_string());
  REQUIRE(reader.ok());
  auto snap = (*reader)->read(42161);
  INFO(snap.status().to_string());
  REQUIRE(snap.ok());

  // Ledger: this chain's rows only, in key order, with their statuses.
  const SqlRows ledger_rows = h.query(
      "snapshot",
      "SELECT claim_key, status, wallet_address, level FROM claim_sync_queue WHERE chain_id = "
      "42161 ORDER BY claim_key");
  REQUIRE(snap->ledger.size() == ledger_rows.size());
  std::map<std::string, std::string> status;
  for (std::size_t i = 0; i < ledger_rows.size(); ++i) {
    const store::LedgerRow& r = snap->ledger[i];
    CHECK(r.key.to_string() == ledger_rows[i][0]);
    CHECK(r.status == ledger_rows[i][1]);
    CHECK(r.wallet.lower_hex() == ledger_rows[i][2]);
    CHECK(std::to_string(r.level) == ledger_rows[i][3]);
    status[r.key.to_string()] = r.status;
  }
  CHECK(status.size() == 31);  // 30 applied + the dead one; not the other chain's
  CHECK(status.at(revoked.key.to_string()) == "revoked");
  CHECK(status.at(dead.key.to_string()) == "dead");
  CHECK(status.at(claims[0].key.to_string()) == "done");
  CHECK(status.count(other_chain.key.to_string()) == 0);

  // Membership: every row; the creating claim as written, none for the foreign row.
  std::string membership;
  for (const store::MembershipRow& m : snap->membership) {
    membership += m.wallet.lower_hex() + "|" + std::to_string(m.level) + "|" +
                  (m.claim_key ? m.claim_key->to_string() : "\\N") + "\n";
  }
  CHECK(membership == join(h.query("snapshot",
                                   "SELECT wallet_address, nft_level, claim_key FROM membership "
                                   "WHERE claim_key IS NULL OR claim_key <> 'not-a-claim-key' "
                                   "ORDER BY wallet_address, nft_level")));
  CHECK(snap->unreadable_rows == 1);
  const auto foreign_row = std::find_if(snap->membership.begin(), snap->membership.end(),
                                        [&](const auto& m) { return m.level == 9; });
  REQUIRE(foreign_row != snap->membership.end());
  CHECK(!foreign_row->claim_key);
  CHECK(foreign_row->wallet.lower_hex() == foreign);

  // Members: every row with its current level.
  std::string members;
  for (const store::MemberRow& m : snap->members)
    members += m.wallet.lower_hex() + "|" + std::to_string(m.current_level) + "\n";
  CHECK(members == join(h.query("snapshot",
                                "SELECT wallet_address, current_level FROM members ORDER BY "
                                "wallet_address")));
  CHECK(snap->members.size() == 8);  // 6 wallets, the other chain's, the foreign one

  // Another chain id sees none of this chain's ledger rows; the tables are unchanged.
  const SinkTables before = dump_tables(h, "snapshot");
  auto other = (*reader)->read(1);
  REQUIRE(other.ok());
  CHECK(other->ledger.size() == 1);
  CHECK(dump_tables(h, "snapshot") == before);
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

  // A done claim whose block left the chain and that was mined again in a later block
  // before its revoke reached the sink: the store mirrors 'revoking', then 'pending', then
  // applies it with the new block. The tables are as if it had only been in that block.
  Claim moved = make_claim(11);
  require_ok(sink->apply({moved}));
  const std::string wallet = "'" + moved.wallet.lower_hex() + "'";
  for (ClaimState st : {ClaimState::kRevoking, ClaimState::kPending}) {
    moved.state = st;
    REQUIRE(sink->record({store::LedgerUpdate{moved}}).ok());
  }
  moved.block_number += 5;
  moved.block_hash = make_claim(500).block_hash;
  moved.block_time += 3600;
  require_ok(sink->apply({moved}));
  const std::string at = h.epoch_sql("activated_at");
  CHECK(h.query("record", "SELECT status, block_number, " + h.epoch_sql("block_time") +
                              " FROM claim_sync_queue WHERE claim_key = " + key_literal(moved)) ==
        SqlRows{{"done", std::to_string(moved.block_number), std::to_string(moved.block_time)}});
  CHECK(h.query("record",
                "SELECT claim_key, " + at + " FROM membership WHERE wallet_address = " + wallet) ==
        SqlRows{{moved.key.to_string(), std::to_string(moved.block_time)}});
  CHECK(h.query("record", "SELECT " + at + " FROM members WHERE wallet_address = " + wallet) ==
        SqlRows{{std::to_string(moved.block_time)}});
}

}  // namespace claimsync::testing

// ---------------------------------------------------------------------------------------
// Model-based cases.

namespace claimsync::testing {
namespace {

constexpr std::uint32_t kTopLevel = 2147483647;  // the largest level config allows

SqlRows sorted(SqlRows rows) {
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::string rows_text(const SqlRows& rows) { return join(sorted(rows)); }

// A claim in two versions of its block (the same claim key mined again in another block
// after a reorg): hash, number and time differ.
struct ModelClaim {
  std::array<Claim, 2> version;
};

// The rules of migrations/README.md as plain data: the sink's tables are a function of
// the ledger (which claims are 'done', with which block) and the wallets ever applied.
class SinkModel {
 public:
  struct LedgerEntry {
    std::string status;
    int version = 0;
  };

  explicit SinkModel(std::vector<ModelClaim> claims)
      : claims_(std::move(claims)), current_(claims_.size()) {}

  std::size_t size() const { return claims_.size(); }
  bool is_done(std::size_t i) const {
    auto it = ledger_.find(i);
    return it != ledger_.end() && it->second.status == "done";
  }
  // The claim as the node would send it, in its other block when `new_block` (a claim not
  // done in the sink, or one that moved in a reorg before its revoke reached the sink).
  const Claim& claim_for_call(std::size_t i, bool new_block) {
    if (new_block) current_[i] = 1 - current_[i];
    return claims_[i].version[static_cast<std::size_t>(current_[i])];
  }
  const Claim& current(std::size_t i) const {
    return claims_[i].version[static_cast<std::size_t>(current_[i])];
  }

  void applied(std::size_t i) {
    ledger_[i] = {"done", current_[i]};
    users_.insert(current(i).wallet.lower_hex());
  }
  void revoked(std::size_t i) {
    auto it = ledger_.find(i);
    if (it == ledger_.end()) {
      ledger_[i] = {"revoked", current_[i]};  // never reached the sink: ledger row only
    } else {
      it->second.status = "revoked";  // block columns keep what apply wrote
    }
  }

  SqlRows users() const {
    SqlRows out;
    for (const auto& w : users_) out.push_back({w});
    return out;
  }
  // Per (wallet, level) the earliest (block_time, claim_key) of the done claims.
  SqlRows membership() const {
    std::map<std::pair<std::string, std::uint32_t>, const Claim*> best;
    for (const auto& [i, e] : ledger_) {
      if (e.status != "done") continue;
      const Claim& c = claims_[i].version[static_cast<std::size_t>(e.version)];
      const auto k = std::make_pair(c.wallet.lower_hex(), c.level);
      auto it = best.find(k);
      if (it == best.end() ||
          std::make_pair(c.block_time, c.key.to_string()) <
              std::make_pair(it->second->block_time, it->second->key.to_string())) {
        best[k] = &c;
      }
    }
    SqlRows out;
    for (const auto& [k, c] : best) {
      out.push_back({k.first, std::to_string(k.second), c->key.to_string(),
                     std::to_string(c->block_time), store::ClaimRow::from(*c).tx_hash});
    }
    return out;
  }
  // A wallet is a member while it has a membership row: highest level, earliest time.
  SqlRows members() const {
    std::map<std::string, std::pair<std::uint32_t, std::uint64_t>> m;
    for (const auto& row : membership()) {
      const std::uint32_t level = static_cast<std::uint32_t>(std::stoul(row[1]));
      const std::uint64_t t = std::stoull(row[3]);
      auto [it, fresh] = m.try_emplace(row[0], level, t);
      if (!fresh) it->second = {std::max(it->second.first, level), std::min(it->second.second, t)};
    }
    SqlRows out;
    for (const auto& [w, v] : m)
      out.push_back({w, std::to_string(v.first), std::to_string(v.second)});
    return out;
  }
  SqlRows ledger() const {
    SqlRows out;
    for (const auto& [i, e] : ledger_) {
      const store::ClaimRow r =
          store::ClaimRow::from(claims_[i].version[static_cast<std::size_t>(e.version)]);
      out.push_back({r.claim_key, e.status, r.block_hash, std::to_string(r.block_number),
                     std::to_string(r.block_time)});
    }
    return out;
  }

 private:
  std::vector<ModelClaim> claims_;
  std::vector<int> current_;  // the version the node holds now, per claim
  std::map<std::size_t, LedgerEntry> ledger_;
  std::set<std::string> users_;
};

eth::Hash32 model_hash(std::uint8_t tag, std::uint64_t a, std::uint64_t b) {
  std::array<std::uint8_t, 32> bytes{};
  bytes[0] = tag;
  for (int k = 0; k < 8; ++k) {
    bytes[23 - k] = static_cast<std::uint8_t>(a >> (8 * k));
    bytes[31 - k] = static_cast<std::uint8_t>(b >> (8 * k));
  }
  return eth::Hash32(bytes);
}

// `n` claims over 4 wallets and levels {1, 2, 2^31-1}: many siblings (same wallet and
// level), block times with ties, so the earliest-(time, key) rule is exercised.
std::vector<ModelClaim> model_claims(std::mt19937& rng, std::size_t n) {
  const std::array<std::uint32_t, 3> levels{1, 2, kTopLevel};
  std::vector<ModelClaim> out;
  for (std::size_t i = 0; i < n; ++i) {
    Claim c = make_claim(5000 + i);
    c.wallet = fixture_wallet(0x900 + rng() % 4);
    c.level = levels[rng() % levels.size()];
    c.referrer.reset();
    ModelClaim m;
    for (std::size_t v = 0; v < 2; ++v) {
      m.version[v] = c;
      m.version[v].block_number = 7000 + 2 * i + v;
      m.version[v].block_hash = model_hash(0xb7, i, v);
      m.version[v].block_time = 1'700'000'000 + (rng() % 5) * 60;
    }
    out.push_back(std::move(m));
  }
  return out;
}

void require_model(const SinkHarness& h, const std::string& db, const SinkModel& model,
                   const std::string& step) {
  INFO(step);
  const std::string at = h.epoch_sql("activated_at");
  CHECK(rows_text(h.query(db, "SELECT wallet_address FROM users")) == rows_text(model.users()));
  CHECK(rows_text(h.query(db, "SELECT wallet_address, current_level, " + at + " FROM members")) ==
        rows_text(model.members()));
  CHECK(rows_text(h.query(db, "SELECT wallet_address, nft_level, claim_key, " + at +
                                  ", tx_hash FROM membership")) == rows_text(model.membership()));
  REQUIRE(rows_text(h.query(db, "SELECT claim_key, status, block_hash, block_number, " +
                                    h.epoch_sql("block_time") + " FROM claim_sync_queue")) ==
          rows_text(model.ledger()));
}

// Runs the seeded sequence against `sink` (on an empty `db`).
void run_model(const SinkHarness& h, const std::string& db, store::MembershipSink& sink,
               std::uint32_t seed, int steps) {
  std::mt19937 rng(seed);
  SinkModel model(model_claims(rng, 18));
  const auto pick = [&] { return static_cast<std::size_t>(rng() % model.size()); };
  for (int step = 0; step < steps; ++step) {
    const unsigned op = rng() % 100;
    std::vector<std::size_t> chosen;
    if (op < 80) {
      const std::size_t n = 1 + rng() % 5;
      for (std::size_t k = 0; k < n; ++k) chosen.push_back(pick());
      if (rng() % 4 == 0) chosen.push_back(chosen.front());  // a duplicate in the batch
    } else {
      // Every claim of one wallet: it is left without membership (or applied in full).
      const eth::Address w = model.current(pick()).wallet;
      for (std::size_t i = 0; i < model.size(); ++i) {
        if (model.current(i).wallet == w) chosen.push_back(i);
      }
    }
    const bool revoke = (op < 80 ? op % 2 == 1 : op % 4 != 0);
    std::set<std::size_t> distinct(chosen.begin(), chosen.end());
    std::map<std::size_t, const Claim*> sent;
    for (std::size_t i : distinct) {
      // Revokes carry the block the sink has; applies of claims the sink does not have as
      // done may come from another block, and now and then a done claim moved.
      const bool new_block = !revoke && rng() % (model.is_done(i) ? 6 : 2) == 0;
      sent[i] = &model.claim_for_call(i, new_block);
    }
    std::vector<Claim> call;
    std::string what = std::string(revoke ? "revoke" : "apply") + " step " + std::to_string(step) +
                       " seed " + std::to_string(seed) + ":";
    for (std::size_t i : chosen) {
      call.push_back(*sent[i]);
      what += " " + std::to_string(i) + (model.is_done(i) ? "(done)" : "") + "@" +
              sent[i]->block_hash.hex().substr(60);
    }
    INFO(what);
    const store::SinkResult r = revoke ? sink.revoke(call) : sink.apply(call);
    require_ok(r);
    for (std::size_t i : distinct) revoke ? model.revoked(i) : model.applied(i);
    require_model(h, db, model, what);
  }
  // The sequence reached every case it is meant to.
  std::size_t revoked = 0, done = 0;
  for (const auto& row : model.ledger()) (row[1] == "done" ? done : revoked) += 1;
  CHECK(done > 0);
  CHECK(revoked > 0);
}

// Tables of an application, created before claimsync's first migrate; `extra` are column
// definitions appended to users / members / membership.
void create_app_tables(const SinkHarness& h, const std::string& db, const std::string& users_extra,
                       const std::string& members_extra, const std::string& membership_extra,
                       const std::string& level_type = "integer") {
  h.exec(db,
         "CREATE TABLE users (wallet_address varchar(42) PRIMARY KEY, referrer_wallet text,"
         " created_at timestamp DEFAULT CURRENT_TIMESTAMP" +
             users_extra + ")");
  h.exec(db,
         "CREATE TABLE members (wallet_address varchar(42) PRIMARY KEY,"
         " current_level integer NOT NULL DEFAULT 0, activated_at timestamptz NOT NULL,"
         " referrer_wallet text, updated_at timestamptz DEFAULT CURRENT_TIMESTAMP" +
             members_extra + ")");
  h.exec(db, "CREATE TABLE membership (wallet_address varchar(42) NOT NULL, nft_level " +
                 level_type +
                 " NOT NULL, activated_at timestamptz NOT NULL, claim_key text, tx_hash text" +
                 membership_extra + ", UNIQUE (wallet_address, nft_level))");
}

// REQUIREs that migrating `url` fails, naming every one of `expected`, with nothing written.
void require_refused(const SinkHarness& h, const std::string& db, const std::string& url,
                     const std::vector<std::string>& expected) {
  auto r = store::migrate_database(url);
  REQUIRE_FALSE(r.ok());
  const std::string message = r.status().message();
  INFO(message);
  CHECK(r.status().code() == ErrorCode::kFailedPrecondition);
  for (const std::string& e : expected) CHECK(message.find(e) != std::string::npos);
  CHECK_THROWS(h.query(db, "SELECT count(*) FROM schema_migrations"));  // nothing written
  auto run = store::open_sink(url, /*migrate=*/true);  // what `claimsync run` does first
  CHECK_FALSE(run.ok());
}

}  // namespace

void check_model(const SinkHarness& h, std::uint32_t seed, int steps) {
  const std::string db = "model" + std::to_string(seed);
  auto sink = h.open_fresh(db);
  run_model(h, db, *sink, seed, steps);
}

void check_existing_tables_with_defaults(const SinkHarness& h) {
  const std::string db = "existing_ok";
  const std::string url = h.create_empty(db);
  create_app_tables(h, db, ", username text NOT NULL DEFAULT 'anon'",
                    ", total_rewards numeric NOT NULL DEFAULT 0",
                    ", is_upgrade boolean NOT NULL DEFAULT false");
  auto sink = store::open_sink(url, /*migrate=*/true);
  INFO(sink.status().to_string());
  REQUIRE(sink.ok());
  run_model(h, db, **sink, 4242, 60);
  CHECK(scalar(h, db, "SELECT count(*) FROM users WHERE username <> 'anon'") == "0");
}

void check_existing_tables_refused(const SinkHarness& h) {
  // Each problem alone, then the fix makes migrate pass.
  {
    const std::string db = "refuse_username";
    const std::string url = h.create_empty(db);
    create_app_tables(h, db, ", username text NOT NULL", "", "");
    require_refused(h, db, url,
                    {"users.username is NOT NULL without a default: the node inserts only "
                     "wallet_address/referrer_wallet; add a DEFAULT or drop NOT NULL"});
    h.exec(db, "ALTER TABLE users RENAME COLUMN username TO username_old");
    h.exec(db, "ALTER TABLE users ADD COLUMN username text NOT NULL DEFAULT 'anon'");
    h.exec(db, "ALTER TABLE users DROP COLUMN username_old");
    auto fixed = store::migrate_database(url);
    INFO(fixed.status().to_string());
    CHECK(fixed.ok());
  }
  {
    const std::string db = "refuse_origin_queue";
    const std::string url = h.create_empty(db);
    create_app_tables(h, db, "", "", "");
    h.exec(db,
           "CREATE TABLE claim_sync_queue (id varchar(36) PRIMARY KEY,"
           " wallet_address varchar(42) NOT NULL, level integer NOT NULL,"
           " tx_hash varchar(66) NOT NULL UNIQUE, status varchar(20) NOT NULL DEFAULT 'pending',"
           " retry_count integer DEFAULT 0, created_at timestamp DEFAULT CURRENT_TIMESTAMP)");
    h.exec(db,
           "INSERT INTO claim_sync_queue (id, wallet_address, level, tx_hash) VALUES ('q1', "
           "'0xabcd000000000000000000000000000000000001', 1, '0x01')");
    require_refused(h, db, url,
                    {"claim_sync_queue exists without column claim_key (the origin design's "
                     "queue?): rename it (ALTER TABLE claim_sync_queue RENAME TO "
                     "claim_sync_queue_old"});
    h.exec(db, "ALTER TABLE claim_sync_queue RENAME TO claim_sync_queue_old");
    auto sink = store::open_sink(url, /*migrate=*/true);
    INFO(sink.status().to_string());
    REQUIRE(sink.ok());
    require_ok((*sink)->apply(make_claims(6)));
    CHECK(scalar(h, db, "SELECT count(*) FROM claim_sync_queue") == "6");
    CHECK(scalar(h, db, "SELECT count(*) FROM claim_sync_queue_old") == "1");  // kept
  }
  {
    // Everything at once: every problem is named in one error.
    const std::string db = "refuse_all";
    const std::string url = h.create_empty(db);
    create_app_tables(h, db, ", username text NOT NULL", ", tier text NOT NULL",
                      ", source_id integer NOT NULL", "text");
    require_refused(h, db, url,
                    {"users.username is NOT NULL without a default",
                     "members.tier is NOT NULL without a default: the node inserts only "
                     "wallet_address/current_level/activated_at/referrer_wallet",
                     "membership.source_id is NOT NULL without a default",
                     "membership.nft_level is ", "the node needs integer or bigint"});
  }
  {
    const std::string db = "refuse_wallet_type";
    const std::string url = h.create_empty(db);
    h.exec(db, "CREATE TABLE users (wallet_address integer PRIMARY KEY, referrer_wallet text)");
    require_refused(h, db, url, {"users.wallet_address is ", "text-like"});
  }
}

}  // namespace claimsync::testing
