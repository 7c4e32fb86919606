// NodeStore on RocksDB: every operation, every state transition (legal and illegal),
// identity and schema checks on reopen, index and counter consistency, write poisoning.
#include <catch2/catch.hpp>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <map>
#include <thread>

#include "storage/byte_codec.hpp"
#include "storage/claim_transitions.hpp"
#include "storage/node_store.hpp"
#include "storage/node_store_check.hpp"
#include "storage/rocks_db.hpp"
#include "storage/rocks_node_store.hpp"
#include "tests/support/process.hpp"

using namespace claimsync;
using namespace claimsync::store;
using claimsync::testing::TempDir;

namespace {

constexpr std::uint64_t kChain = 42161;
constexpr std::int64_t kT0 = 1'700'000'000'000;

eth::Hash32 hash_of(std::uint64_t n, std::uint8_t tag) {
  std::array<std::uint8_t, 32> b{};
  b[0] = tag;
  for (int i = 0; i < 8; ++i) b[31 - i] = static_cast<std::uint8_t>(n >> (8 * i));
  return eth::Hash32(b);
}

eth::Address address_of(std::uint8_t n) {
  std::array<std::uint8_t, 20> b{};
  b[0] = 0xa0;
  b[19] = n;
  return eth::Address(b);
}

ClaimKey key_of(std::uint64_t tx, std::uint32_t log = 0, std::uint32_t batch = 0) {
  return ClaimKey{kChain, hash_of(tx, 0x7e), log, batch};
}

Claim make_claim(std::uint64_t tx, std::uint64_t block, std::uint8_t wallet = 1,
                 std::uint32_t log = 0, std::uint32_t batch = 0) {
  Claim c;
  c.key = key_of(tx, log, batch);
  c.wallet = address_of(wallet);
  c.level = 1 + static_cast<std::uint32_t>(tx % 19);
  c.amount = eth::U256(1);
  c.block_number = block;
  c.block_hash = hash_of(block, 0xb1);
  c.block_time = 1'000 + block;
  c.sources = kSourceScan;
  return c;
}

BlockRecord make_block(std::uint64_t n, std::uint8_t fork = 0) {
  return BlockRecord{n, hash_of(n, static_cast<std::uint8_t>(0xb1 + fork)), hash_of(n - 1, 0xb1)};
}

const StoreIdentity kIdentity{kChain, address_of(0xcc), 100};

struct Fixture {
  TempDir dir{"node-store-test"};
  std::unique_ptr<NodeStore> store;

  Fixture() { reopen(); }
  void reopen() {
    store.reset();
    auto r = NodeStore::open(dir.path(), kIdentity);
    REQUIRE(r.ok());
    store = std::move(*r);
  }
  Claim get(const ClaimKey& k) {
    auto c = store->get(k);
    REQUIRE(c);
    return *c;
  }
  ClaimState state(const ClaimKey& k) { return get(k).state; }
  // mark_sent as the replicator calls it, with the claims as they are stored now (a bare
  // key for one the store does not have).
  Result<std::vector<Claim>> mark_sent(SinkOp op, const std::vector<ClaimKey>& keys) {
    std::vector<Claim> taken;
    for (const ClaimKey& k : keys) {
      Claim c;
      c.key = k;
      taken.push_back(store->get(k).value_or(c));
    }
    return store->mark_sent(op, taken);
  }
  void commit(BlockRange r, std::vector<Claim> claims, std::int64_t now = kT0) {
    std::vector<BlockRecord> blocks;
    for (auto n = r.from; n <= r.to && n - r.from < 64; ++n) blocks.push_back(make_block(n));
    auto out = store->commit_range(r, blocks, claims, now);
    REQUIRE(out.ok());
  }
  void check_invariants() {
    auto st = verify_store_invariants(*store);
    INFO(st.to_string());
    CHECK(st.ok());
  }
};

// Everything observable through the interface, to prove a rejected call changed nothing.
std::string snapshot(const NodeStore& s) {
  std::string out;
  for (int st = 0; st < kClaimStateCount; ++st) {
    for (const auto& c : s.list_by_state(static_cast<ClaimState>(st), 1'000'000)) {
      out += c.key.encode() + c.encode_value();
    }
    out += encode_u64(s.counters().by_state[st]);
  }
  for (const auto& r : s.ranges()) out += encode_u64(r.from) + encode_u64(r.to);
  for (const auto& b : s.blocks_descending(~0ull, 1'000'000))
    out += encode_u64(b.number) + b.hash.hex();
  out += s.checkpoint() ? encode_u64(*s.checkpoint()) : "none";
  return out;
}

// The block of claim `tx` in drive_to: claims driven in ascending tx order do not
// disturb each other when one of them is rolled back.
std::uint64_t block_for(std::uint64_t tx) { return 150 + 10 * tx; }

// Puts claim `tx` (in block_for(tx)) into `target` through the public operations only.
void drive_to(Fixture& f, std::uint64_t tx, ClaimState target) {
  Claim c = make_claim(tx, block_for(tx));
  auto k = c.key;
  REQUIRE(f.store->ingest(c, kT0).ok());
  auto replicate = [&] { REQUIRE(f.store->mark_replicated({k}, kT0 + 1).ok()); };
  auto rollback = [&] { REQUIRE(f.store->rollback_to(block_for(tx) - 1, kT0 + 2).ok()); };
  switch (target) {
    case ClaimState::kPending: break;
    case ClaimState::kRetrying:
      REQUIRE(f.store->mark_failed(k, "boom", kT0 + 500, 5, kT0).ok());
      break;
    case ClaimState::kDone: replicate(); break;
    case ClaimState::kDead: REQUIRE(f.store->mark_failed(k, "boom", kT0 + 500, 1, kT0).ok()); break;
    case ClaimState::kOrphaned: rollback(); break;
    case ClaimState::kRevoking:
      replicate();
      rollback();
      break;
    case ClaimState::kRevoked:
      replicate();
      rollback();
      REQUIRE(f.store->mark_replicated({k}, kT0 + 3).ok());
      break;
  }
  REQUIRE(f.state(k) == target);
}

const std::vector<ClaimState> kAllStates = {
    ClaimState::kPending,  ClaimState::kRetrying, ClaimState::kDone,   ClaimState::kDead,
    ClaimState::kOrphaned, ClaimState::kRevoking, ClaimState::kRevoked};

}  // namespace

// ---- claim encoding ----------------------------------------------------------------------

TEST_CASE("claim keys and records round-trip", "[node_store][claim]") {
  Claim c = make_claim(7, 123, 9, 4, 2);
  c.amount = eth::U256::from_decimal(
                 "115792089237316195423570985008687907853269984665640564039457584007913129639935")
                 .value();
  c.referrer = address_of(0x42);
  c.last_error = "duplicate key value violates \"unique\" constraint; DROP TABLE users;--";
  c.state = ClaimState::kRevoking;
  c.attempts = 3;
  c.next_attempt_at_ms = -5;
  c.created_at_ms = kT0;
  c.updated_at_ms = kT0 + 9;
  c.sources = kSourceScan | kSourceWebhook;

  auto key = ClaimKey::decode(c.key.encode());
  REQUIRE(key.ok());
  CHECK(*key == c.key);
  CHECK(c.key.encode().size() == ClaimKey::kEncodedSize);
  auto parsed = ClaimKey::parse(c.key.to_string());
  REQUIRE(parsed.ok());
  CHECK(*parsed == c.key);

  auto back = Claim::decode(c.key, c.encode_value());
  REQUIRE(back.ok());
  CHECK(back->encode_value() == c.encode_value());
  CHECK(back->referrer == c.referrer);
  CHECK(back->last_error == c.last_error);
  CHECK(back->amount == c.amount);
  CHECK(back->next_attempt_at_ms == -5);

  CHECK(Claim::decode(c.key, c.encode_value().substr(0, 50)).status().code() ==
        ErrorCode::kCorruption);
  CHECK(Claim::decode(c.key, "").status().code() == ErrorCode::kCorruption);
  std::string future = c.encode_value();
  future[0] = 9;
  CHECK(Claim::decode(c.key, future).status().code() == ErrorCode::kCorruption);
  CHECK(ClaimKey::decode("short").status().code() == ErrorCode::kCorruption);
  CHECK_FALSE(ClaimKey::parse("1:0x12:3").ok());
  CHECK_FALSE(ClaimKey::parse("x:" + c.key.tx_hash.hex() + ":1:2").ok());
  CHECK_FALSE(ClaimKey::parse("1:" + c.key.tx_hash.hex() + ":1:-2").ok());
}

TEST_CASE("claim state names and sources print and parse", "[node_store][claim]") {
  for (auto s : kAllStates) {
    auto back = parse_claim_state(claim_state_name(s));
    REQUIRE(back.ok());
    CHECK(*back == s);
  }
  CHECK_FALSE(parse_claim_state("finished").ok());
  CHECK(claim_sources_string(kSourceScan | kSourceIntake) == "scan,intake");
  CHECK(claim_sources_string(0).empty());
}

TEST_CASE("claim keys sort by chain, tx, log, batch", "[node_store][claim]") {
  CHECK(key_of(1, 5, 0).encode() < key_of(2, 0, 0).encode());
  CHECK(key_of(1, 1, 9).encode() < key_of(1, 2, 0).encode());
  CHECK(key_of(1, 1, 1).encode() < key_of(1, 1, 2).encode());
}

// ---- open, identity, schema ----------------------------------------------------------------

TEST_CASE("a data dir is bound to chain, contract and start block", "[node_store][open]") {
  TempDir dir("node-store-identity");
  {
    auto s = NodeStore::open(dir.path(), kIdentity);
    REQUIRE(s.ok());
    CHECK((*s)->identity().chain_id == kChain);
  }
  REQUIRE(NodeStore::open(dir.path(), kIdentity).ok());

  auto other = kIdentity;
  other.chain_id = 1;
  auto r = NodeStore::open(dir.path(), other);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == ErrorCode::kFailedPrecondition);
  CHECK_THAT(r.status().message(),
             Catch::Contains("chain_id 42161") && Catch::Contains("config says 1"));

  other = kIdentity;
  other.contract = address_of(0xdd);
  r = NodeStore::open(dir.path(), other);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("contract"));

  other = kIdentity;
  other.start_block = 5;
  r = NodeStore::open(dir.path(), other);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("start_block 100"));

  auto existing = NodeStore::open_existing(dir.path());
  REQUIRE(existing.ok());
  CHECK((*existing)->identity().contract == kIdentity.contract);
  CHECK((*existing)->identity().start_block == 100);
}

TEST_CASE("open_existing on a dir without a store is kNotFound", "[node_store][open]") {
  TempDir dir("node-store-empty");
  auto r = NodeStore::open_existing(dir.path() + "/nothing-here");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == ErrorCode::kNotFound);
}

TEST_CASE("a second open of the same dir is refused while the first is open",
          "[node_store][open]") {
  Fixture f;
  auto r = NodeStore::open(f.dir.path(), kIdentity);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == ErrorCode::kFailedPrecondition);
  CHECK_THAT(r.status().message(), Catch::Contains("another claimsync process"));
}

TEST_CASE("a dir written by a newer schema is refused with an upgrade message",
          "[node_store][open]") {
  TempDir dir("node-store-schema");
  REQUIRE(NodeStore::open(dir.path(), kIdentity).ok());
  {
    auto raw = RocksDb::open(dir.path(), RocksDb::Mode::kOpenExisting);
    REQUIRE(raw.ok());
    rocksdb::WriteBatch b;
    std::string v;
    put_u32(v, NodeStore::kSchemaVersion + 1);
    b.Put((*raw)->cf(layout::Cf::kMeta), std::string(layout::meta::kSchemaVersion), v);
    // A newer binary might add a column family; we must still be able to say why we refuse.
    rocksdb::ColumnFamilyHandle* extra = nullptr;
    REQUIRE((*raw)
                ->db()
                .CreateColumnFamily(rocksdb::ColumnFamilyOptions(), "future_index", &extra)
                .ok());
    REQUIRE((*raw)->db().DestroyColumnFamilyHandle(extra).ok());
    REQUIRE((*raw)->write(b, true).ok());
  }
  for (bool existing : {false, true}) {
    auto r =
        existing ? NodeStore::open_existing(dir.path()) : NodeStore::open(dir.path(), kIdentity);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == ErrorCode::kFailedPrecondition);
    CHECK_THAT(r.status().message(), Catch::Contains("newer claimsync (schema 2") &&
                                         Catch::Contains("upgrade the binary"));
  }
}

// ---- commit_range, checkpoint, blocks ------------------------------------------------------

TEST_CASE("commit_range ingests claims, marks the range, stores blocks, advances the checkpoint",
          "[node_store][commit]") {
  Fixture f;
  CHECK_FALSE(f.store->checkpoint());
  std::vector<Claim> claims = {make_claim(1, 100), make_claim(2, 105, 2), make_claim(3, 105, 2, 1)};
  auto out = f.store->commit_range({100, 110}, {make_block(100), make_block(105)}, claims, kT0);
  REQUIRE(out.ok());
  CHECK(out->claims_new == 3);
  CHECK(out->claims_known == 0);
  CHECK(f.store->checkpoint() == 110u);
  CHECK(f.store->ranges() == std::vector<BlockRange>{{100, 110}});
  CHECK(f.store->counters().of(ClaimState::kPending) == 3);
  CHECK(f.store->counters().total() == 3);
  REQUIRE(f.store->block(105));
  CHECK(f.store->block(105)->hash == make_block(105).hash);
  CHECK_FALSE(f.store->block(104));

  Claim c = f.get(claims[1].key);
  CHECK(c.state == ClaimState::kPending);
  CHECK(c.next_attempt_at_ms == kT0);
  CHECK(c.created_at_ms == kT0);
  CHECK(c.attempts == 0);
  CHECK(c.sources == kSourceScan);
  CHECK(c.wallet == address_of(2));

  // Rescanning the same range: idempotent, sources merge.
  claims[0].sources = kSourceRescan;
  out = f.store->commit_range({100, 110}, {}, claims, kT0 + 5);
  REQUIRE(out.ok());
  CHECK(out->claims_new == 0);
  CHECK(out->claims_known == 3);
  CHECK(f.get(claims[0].key).sources == (kSourceScan | kSourceRescan));
  CHECK(f.get(claims[0].key).created_at_ms == kT0);
  CHECK(f.store->counters().total() == 3);
  f.check_invariants();
}

TEST_CASE("commit_range rejects bad input and changes nothing", "[node_store][commit]") {
  Fixture f;
  f.commit({100, 105}, {make_claim(1, 101)});
  const std::string before = snapshot(*f.store);

  auto r = f.store->commit_range({110, 120}, {}, {make_claim(2, 121)}, kT0);
  CHECK(r.status().code() == ErrorCode::kInvalidArgument);
  r = f.store->commit_range({110, 120}, {}, {make_claim(2, 109)}, kT0);
  CHECK(r.status().code() == ErrorCode::kInvalidArgument);
  r = f.store->commit_range({120, 110}, {}, {}, kT0);
  CHECK(r.status().code() == ErrorCode::kInvalidArgument);
  Claim foreign = make_claim(3, 111);
  foreign.key.chain_id = 1;
  r = f.store->commit_range({110, 120}, {}, {make_claim(4, 112), foreign}, kT0);
  CHECK(r.status().code() == ErrorCode::kInvalidArgument);
  CHECK(snapshot(*f.store) == before);
}

TEST_CASE("a key repeated within one commit is one claim with merged sources",
          "[node_store][commit]") {
  Fixture f;
  Claim a = make_claim(1, 100);
  Claim b = a;
  b.sources = kSourceIntake;
  auto out = f.store->commit_range({100, 100}, {}, {a, b}, kT0);
  REQUIRE(out.ok());
  CHECK(out->claims_new == 1);
  CHECK(f.get(a.key).sources == (kSourceScan | kSourceIntake));
  CHECK(f.store->counters().total() == 1);
  f.check_invariants();
}

TEST_CASE("the checkpoint advances only contiguously from start_block and never past a hole",
          "[node_store][commit]") {
  Fixture f;
  f.commit({120, 130}, {});
  CHECK_FALSE(f.store->checkpoint());  // start_block 100 not scanned yet
  f.commit({100, 109}, {});
  CHECK(f.store->checkpoint() == 109u);
  CHECK(f.store->holes(100, 130) == std::vector<BlockRange>{{110, 119}});
  f.commit({110, 119}, {});  // fills the hole: merges into one range
  CHECK(f.store->checkpoint() == 130u);
  CHECK(f.store->ranges() == std::vector<BlockRange>{{100, 130}});
  CHECK(f.store->holes(90, 135) == (std::vector<BlockRange>{{90, 99}, {131, 135}}));
  f.commit({50, 60}, {});  // below start_block (a manual rescan): no effect on the checkpoint
  CHECK(f.store->checkpoint() == 130u);
  f.reopen();
  CHECK(f.store->checkpoint() == 130u);
  CHECK(f.store->ranges() == (std::vector<BlockRange>{{50, 60}, {100, 130}}));
  f.check_invariants();
}

TEST_CASE("blocks: lookup, descending walk, pruning", "[node_store][blocks]") {
  Fixture f;
  f.commit({100, 120}, {});
  auto desc = f.store->blocks_descending(110, 3);
  REQUIRE(desc.size() == 3);
  CHECK(desc[0].number == 110);
  CHECK(desc[2].number == 108);
  CHECK(desc[0].parent_hash == make_block(110).parent_hash);
  CHECK(f.store->blocks_descending(99, 5).empty());
  CHECK(f.store->blocks_descending(1000, 1)[0].number == 120);

  REQUIRE(f.store->prune_blocks_below(115).ok());
  CHECK_FALSE(f.store->block(114));
  CHECK(f.store->block(115));
  CHECK(f.store->blocks_descending(1000, 100).size() == 6);
  REQUIRE(f.store->prune_blocks_below(115).ok());  // nothing left to prune: still fine
  CHECK(f.store->ranges() == std::vector<BlockRange>{{100, 120}});  // pruning keeps range marks
}

// ---- rollback ----------------------------------------------------------------------------

TEST_CASE("rollback_to drops blocks and ranges above the fork and moves claims off the chain",
          "[node_store][rollback]") {
  Fixture f;
  Claim below = make_claim(1, 105);
  Claim pending = make_claim(2, 112);
  Claim retrying = make_claim(3, 113);
  Claim dead = make_claim(4, 114);
  Claim done = make_claim(5, 115);
  Claim orphan = make_claim(6, 116);
  f.commit({100, 120}, {below, pending, retrying, dead, done, orphan});
  REQUIRE(f.store->mark_failed(retrying.key, "x", kT0 + 100, 5, kT0).ok());
  REQUIRE(f.store->mark_failed(dead.key, "x", kT0 + 100, 1, kT0).ok());
  REQUIRE(f.store->mark_replicated({done.key}, kT0).ok());
  REQUIRE(f.store->rollback_to(115, kT0).ok());  // orphan's block 116 goes first
  REQUIRE(f.state(orphan.key) == ClaimState::kOrphaned);

  auto out = f.store->rollback_to(110, kT0 + 50);
  REQUIRE(out.ok());
  CHECK(out->orphaned == 3);
  CHECK(out->revoking == 1);
  CHECK(out->blocks_dropped == 5);  // 111..115
  CHECK(f.state(below.key) == ClaimState::kPending);
  CHECK(f.state(pending.key) == ClaimState::kOrphaned);
  CHECK(f.state(retrying.key) == ClaimState::kOrphaned);
  CHECK(f.state(dead.key) == ClaimState::kOrphaned);
  CHECK(f.state(orphan.key) == ClaimState::kOrphaned);
  Claim revoking = f.get(done.key);
  CHECK(revoking.state == ClaimState::kRevoking);
  CHECK(revoking.next_attempt_at_ms == kT0 + 50);  // compensation is due now
  CHECK(f.store->checkpoint() == 110u);
  CHECK(f.store->ranges() == std::vector<BlockRange>{{100, 110}});
  CHECK(f.store->block(110));
  CHECK_FALSE(f.store->block(111));

  auto due = f.store->due(kT0 + 1000, 100);
  REQUIRE(due.ok());
  std::vector<ClaimKey> due_keys;
  for (const auto& c : *due) due_keys.push_back(c.key);
  CHECK(due_keys == std::vector<ClaimKey>{below.key, done.key});
  auto c = f.store->counters();
  CHECK(c.of(ClaimState::kOrphaned) == 4);
  CHECK(c.of(ClaimState::kRevoking) == 1);
  CHECK(c.of(ClaimState::kPending) == 1);
  f.check_invariants();

  out = f.store->rollback_to(90, kT0 + 60);  // below start_block: no checkpoint at all
  REQUIRE(out.ok());
  CHECK_FALSE(f.store->checkpoint());
  CHECK(f.store->ranges().empty());
  f.check_invariants();
}

TEST_CASE("rollback_to reaches claims ingested from hints beyond the scanned ranges",
          "[node_store][rollback]") {
  Fixture f;
  f.commit({100, 110}, {});
  Claim hinted = make_claim(1, 500);
  hinted.sources = kSourceIntake;
  REQUIRE(f.store->ingest(hinted, kT0).ok());
  REQUIRE(f.store->rollback_to(105, kT0).ok());
  CHECK(f.state(hinted.key) == ClaimState::kOrphaned);
  f.check_invariants();
}

// ---- ingest ------------------------------------------------------------------------------

TEST_CASE("ingest is idempotent, merges sources, and the first referrer wins",
          "[node_store][ingest]") {
  Fixture f;
  Claim c = make_claim(1, 300);
  c.sources = kSourceIntake;
  auto out = f.store->ingest(c, kT0);
  REQUIRE(out.ok());
  CHECK(out->created);
  CHECK_FALSE(out->revived);
  CHECK(out->state == ClaimState::kPending);
  CHECK(out->sources == kSourceIntake);
  const std::string once = snapshot(*f.store);

  out = f.store->ingest(c, kT0 + 10);
  REQUIRE(out.ok());
  CHECK_FALSE(out->created);
  CHECK(snapshot(*f.store) == once);  // a repeat changes nothing, not even timestamps

  c.sources = kSourceWebhook;
  c.referrer = address_of(0x51);
  out = f.store->ingest(c, kT0 + 20);
  REQUIRE(out.ok());
  CHECK(out->sources == (kSourceIntake | kSourceWebhook));
  c.referrer = address_of(0x52);
  REQUIRE(f.store->ingest(c, kT0 + 30).ok());
  Claim stored = f.get(c.key);
  CHECK(stored.referrer == address_of(0x51));
  CHECK(stored.updated_at_ms == kT0 + 20);
  CHECK(f.store->counters().total() == 1);

  // Fields of a caller's claim that belong to the store are ignored on creation.
  Claim forged = make_claim(2, 300);
  forged.state = ClaimState::kDone;
  forged.attempts = 9;
  forged.next_attempt_at_ms = kT0 + 999'999;
  REQUIRE(f.store->ingest(forged, kT0).ok());
  CHECK(f.state(forged.key) == ClaimState::kPending);
  CHECK(f.get(forged.key).attempts == 0);
  CHECK(f.get(forged.key).next_attempt_at_ms == kT0);

  Claim foreign = make_claim(3, 300);
  foreign.key.chain_id = 10;
  CHECK(f.store->ingest(foreign, kT0).status().code() == ErrorCode::kInvalidArgument);
  f.check_invariants();
}

// ---- hints (ingest_hint and the scan that follows) -----------------------------------------

TEST_CASE("ingest_hint never overrides a scanned range", "[node_store][hint]") {
  Fixture f;
  Claim scanned = make_claim(1, 105);
  f.commit({100, 110}, {scanned});

  // A known live claim in a scanned block gains the hint's source.
  Claim again = scanned;
  again.sources = kSourceIntake;
  auto out = f.store->ingest_hint(again, std::nullopt, kT0);
  REQUIRE(out.ok());
  CHECK(out->sources == (kSourceScan | kSourceIntake));

  // A key the scan of its block did not find: refused, nothing written.
  const std::string before = snapshot(*f.store);
  Claim forked = make_claim(2, 107);
  forked.sources = kSourceIntake;
  out = f.store->ingest_hint(forked, std::nullopt, kT0);
  CHECK(out.status().code() == ErrorCode::kFailedPrecondition);
  CHECK(snapshot(*f.store) == before);
  CHECK_FALSE(f.store->get(forked.key));

  // A claim the scan took off the chain is not revived by a hint within scanned blocks.
  REQUIRE(f.store->rollback_to(104, kT0).ok());
  f.commit({105, 110}, {});
  CHECK(f.state(scanned.key) == ClaimState::kOrphaned);
  out = f.store->ingest_hint(again, std::nullopt, kT0);
  CHECK(out.status().code() == ErrorCode::kFailedPrecondition);
  CHECK(f.state(scanned.key) == ClaimState::kOrphaned);

  // Above every scanned range a hint goes in (early replication).
  Claim ahead = make_claim(3, 200);
  ahead.sources = kSourceIntake;
  out = f.store->ingest_hint(ahead, std::nullopt, kT0);
  REQUIRE(out.ok());
  CHECK(out->created);
  CHECK(f.state(ahead.key) == ClaimState::kPending);
  f.check_invariants();
}

TEST_CASE("a hint's claim the scan does not find is taken off the chain", "[node_store][hint]") {
  Fixture f;
  f.commit({100, 110}, {});
  Claim pending = make_claim(1, 120);
  Claim replicated = make_claim(2, 121);
  Claim sent = make_claim(3, 122);
  Claim outside = make_claim(4, 140);
  for (Claim* c : {&pending, &replicated, &sent, &outside}) {
    c->sources = kSourceWebhook;
    REQUIRE(f.store->ingest_hint(*c, std::nullopt, kT0).ok());
  }
  REQUIRE(f.store->mark_replicated({replicated.key}, kT0 + 1).ok());
  REQUIRE(f.mark_sent(SinkOp::kApply, {sent.key}).ok());

  // The scan of 111..130 finds none of them (their receipts came from a fork).
  auto out = f.store->commit_range({111, 130}, {}, {}, kT0 + 2);
  REQUIRE(out.ok());
  CHECK(out->claims_unfound == 3);
  CHECK(f.state(pending.key) == ClaimState::kOrphaned);
  CHECK(f.state(replicated.key) == ClaimState::kRevoking);  // the sink holds its rows
  CHECK(f.state(sent.key) == ClaimState::kRevoking);        // the sink may hold them
  CHECK(f.state(outside.key) == ClaimState::kPending);      // not scanned yet

  // Claims some scan has seen are rollback_to's business, never this rule's.
  Claim scanned = make_claim(5, 150);
  f.commit({131, 149}, {});
  REQUIRE(f.store->commit_range({150, 150}, {make_block(150)}, {scanned}, kT0).ok());
  REQUIRE(f.store->rollback_to(149, kT0).ok());
  REQUIRE(f.state(scanned.key) == ClaimState::kOrphaned);
  REQUIRE(f.store->commit_range({150, 150}, {make_block(150)}, {}, kT0).ok());
  CHECK(f.state(scanned.key) == ClaimState::kOrphaned);
  f.check_invariants();
}

TEST_CASE("a hint's claim the scan finds in another block takes the scanned block",
          "[node_store][hint]") {
  Fixture f;
  f.commit({100, 110}, {});
  Claim pending = make_claim(1, 120);
  Claim replicated = make_claim(2, 121);
  for (Claim* c : {&pending, &replicated}) {
    c->sources = kSourceIntake;
    REQUIRE(f.store->ingest_hint(*c, std::nullopt, kT0).ok());
  }
  REQUIRE(f.store->mark_replicated({replicated.key}, kT0 + 1).ok());

  // The blocks were replaced; the txs landed at the same positions in blocks 123, 124.
  Claim pending_moved = pending, replicated_moved = replicated;
  pending_moved.block_number = 123;
  pending_moved.block_hash = hash_of(123, 0xb2);
  replicated_moved.block_number = 124;
  replicated_moved.block_hash = hash_of(124, 0xb2);
  for (Claim* c : {&pending_moved, &replicated_moved}) c->sources = kSourceScan;
  auto out = f.store->commit_range({111, 130}, {}, {pending_moved, replicated_moved}, kT0 + 2);
  REQUIRE(out.ok());
  CHECK(out->claims_moved == 2);
  CHECK(out->claims_unfound == 0);
  Claim p = f.get(pending.key);
  CHECK(p.state == ClaimState::kPending);
  CHECK(p.block_number == 123);
  CHECK(p.block_hash == pending_moved.block_hash);
  Claim r = f.get(replicated.key);
  CHECK(r.state == ClaimState::kRevoking);  // rows of block 121 go first
  CHECK(r.reapply_after_revoke);
  CHECK(r.block_number == 124);
  // A later rollback finds the claims by their new blocks.
  REQUIRE(f.store->rollback_to(122, kT0 + 3).ok());
  CHECK(f.state(pending.key) == ClaimState::kOrphaned);
  f.check_invariants();
}

TEST_CASE("a referral nonce is used once per minter; a duplicate hint is not a replay",
          "[node_store][hint]") {
  Fixture f;
  const eth::Hash32 nonce = hash_of(77, 0x99);
  Claim first = make_claim(1, 200, /*wallet=*/5);
  first.sources = kSourceIntake;
  first.referrer = address_of(0x51);
  auto out = f.store->ingest_hint(first, nonce, kT0);
  REQUIRE(out.ok());
  CHECK(out->referrer == address_of(0x51));
  CHECK_FALSE(out->referral_replayed);

  out = f.store->ingest_hint(first, nonce, kT0 + 1);  // the same hint again
  REQUIRE(out.ok());
  CHECK_FALSE(out->referral_replayed);

  Claim second = make_claim(2, 201, /*wallet=*/5);  // the same minter's next mint
  second.sources = kSourceIntake;
  second.referrer = address_of(0x51);
  out = f.store->ingest_hint(second, nonce, kT0 + 2);
  REQUIRE(out.ok());
  CHECK(out->referral_replayed);
  CHECK_FALSE(out->referrer);
  CHECK(out->created);  // the claim itself still goes in
  CHECK_FALSE(f.get(second.key).referrer);

  Claim other_minter = make_claim(3, 202, /*wallet=*/6);  // nonces are per minter
  other_minter.sources = kSourceIntake;
  other_minter.referrer = address_of(0x51);
  out = f.store->ingest_hint(other_minter, nonce, kT0 + 3);
  REQUIRE(out.ok());
  CHECK_FALSE(out->referral_replayed);

  f.reopen();  // durable
  out = f.store->ingest_hint(second, nonce, kT0 + 4);
  REQUIRE(out.ok());
  CHECK(out->referral_replayed);
  f.check_invariants();
}

TEST_CASE("ingest revives claims whose block became canonical again", "[node_store][ingest]") {
  Fixture f;
  SECTION("orphaned -> pending, with the new block") {
    drive_to(f, 1, ClaimState::kOrphaned);
    Claim again = make_claim(1, 400);
    again.block_hash = hash_of(400, 0xee);
    auto out = f.store->ingest(again, kT0 + 100);
    REQUIRE(out.ok());
    CHECK(out->revived);
    Claim c = f.get(again.key);
    CHECK(c.state == ClaimState::kPending);
    CHECK(c.block_number == 400);
    CHECK(c.block_hash == again.block_hash);
    CHECK(c.next_attempt_at_ms == kT0 + 100);
    REQUIRE(f.store->rollback_to(395, kT0 + 200).ok());  // the block index followed the move
    CHECK(f.state(again.key) == ClaimState::kOrphaned);
  }
  SECTION("revoking -> pending in the same block (the revoke may have committed)") {
    drive_to(f, 1, ClaimState::kRevoking);
    auto out = f.store->ingest(make_claim(1, block_for(1)), kT0 + 100);
    REQUIRE(out.ok());
    CHECK(out->revived);
    CHECK(out->state == ClaimState::kPending);
    auto due = f.store->due(kT0 + 100, 10);
    REQUIRE(due.ok());
    CHECK(due->size() == 1);  // applied again: idempotent
  }
  SECTION("revoking in another block: revoke first, then apply the new block") {
    drive_to(f, 1, ClaimState::kRevoking);
    Claim again = make_claim(1, 400);
    again.block_hash = hash_of(400, 0xee);
    auto out = f.store->ingest(again, kT0 + 100);
    REQUIRE(out.ok());
    CHECK(out->revived);
    CHECK(out->state == ClaimState::kRevoking);
    Claim c = f.get(key_of(1));
    CHECK(c.reapply_after_revoke);
    CHECK(c.block_number == 400);
    out = f.store->ingest(again, kT0 + 101);  // seen again: nothing more to do
    REQUIRE(out.ok());
    CHECK_FALSE(out->revived);
    REQUIRE(f.store->rollback_to(395, kT0 + 200).ok());  // the new block left too
    c = f.get(key_of(1));
    CHECK(c.state == ClaimState::kRevoking);
    CHECK_FALSE(c.reapply_after_revoke);
  }
  SECTION("revoked -> pending (replicate again)") {
    drive_to(f, 1, ClaimState::kRevoked);
    auto out = f.store->ingest(make_claim(1, block_for(1)), kT0 + 100);
    REQUIRE(out.ok());
    CHECK(out->state == ClaimState::kPending);
    CHECK(f.get(key_of(1)).attempts == 0);
  }
  SECTION("commit_range revives too, and counts it") {
    drive_to(f, 1, ClaimState::kOrphaned);
    auto out = f.store->commit_range({160, 160}, {}, {make_claim(1, block_for(1))}, kT0 + 100);
    REQUIRE(out.ok());
    CHECK(out->claims_revived == 1);
    CHECK(out->claims_known == 1);
    CHECK(f.state(key_of(1)) == ClaimState::kPending);
  }
  SECTION("done, dead, pending, retrying are not revived: only sources merge") {
    for (auto s :
         {ClaimState::kDone, ClaimState::kDead, ClaimState::kPending, ClaimState::kRetrying}) {
      std::uint64_t tx = 10 + static_cast<std::uint64_t>(s);
      drive_to(f, tx, s);
      Claim again = make_claim(tx, block_for(tx));
      again.sources = kSourceReconcile;
      auto out = f.store->ingest(again, kT0 + 100);
      REQUIRE(out.ok());
      CHECK_FALSE(out->revived);
      CHECK(out->state == s);
    }
  }
  f.check_invariants();
}

// ---- replicator: due, mark_replicated, mark_failed, retry_dead -----------------------------

TEST_CASE("due returns work oldest first, bounded by time and limit", "[node_store][due]") {
  Fixture f;
  for (std::uint64_t i = 1; i <= 5; ++i)
    REQUIRE(f.store->ingest(make_claim(i, 200), kT0 + 10 * (6 - i)).ok());
  // Due times: tx5 at T0+10, tx4 at +20, ... tx1 at +50.
  auto due = f.store->due(kT0 + 30, 10);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 3);
  CHECK((*due)[0].key == key_of(5));
  CHECK((*due)[2].key == key_of(3));
  due = f.store->due(kT0 + 100, 2);
  REQUIRE(due.ok());
  CHECK(due->size() == 2);
  CHECK(f.store->next_due_at() == kT0 + 10);
  due = f.store->due(kT0 + 9, 10);
  REQUIRE(due.ok());
  CHECK(due->empty());
  CHECK(f.store->due(kT0 + 100, 0)->empty());

  // After a scan found nothing before T0+9, an older entry must still be found.
  REQUIRE(f.store->ingest(make_claim(9, 200), kT0 - 1000).ok());
  due = f.store->due(kT0 + 9, 10);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 1);
  CHECK((*due)[0].key == key_of(9));
  CHECK(f.store->next_due_at() == kT0 - 1000);
  CHECK(f.store->oldest_pending_created_ms() == kT0 - 1000);
}

TEST_CASE("draining the due index in batches sees every claim exactly once", "[node_store][due]") {
  Fixture f;
  std::vector<Claim> claims;
  for (std::uint64_t i = 0; i < 2000; ++i) claims.push_back(make_claim(i, 100 + i / 100, 1, 0));
  f.commit({100, 119}, claims, kT0);
  std::map<std::string, int> seen;
  for (int round = 0; round < 100; ++round) {
    auto due = f.store->due(kT0, 150);
    REQUIRE(due.ok());
    if (due->empty()) break;
    std::vector<ClaimKey> keys;
    for (const auto& c : *due) {
      ++seen[c.key.encode()];
      keys.push_back(c.key);
    }
    REQUIRE(f.store->mark_replicated(keys, kT0 + 1).ok());
    if (round == 3) {
      // Work can arrive with an older due time than the drained head.
      REQUIRE(f.store->ingest(make_claim(99'999, 150), kT0 - 5).ok());
    }
  }
  CHECK(seen.size() == 2001);
  for (const auto& [k, n] : seen) CHECK(n == 1);
  CHECK(f.store->counters().of(ClaimState::kDone) == 2001);
  CHECK_FALSE(f.store->next_due_at());
  CHECK_FALSE(f.store->oldest_pending_created_ms());
  f.check_invariants();
}

TEST_CASE("claims handed out by due() are re-checked when the replicator reports back",
          "[node_store][replicated]") {
  Fixture f;
  f.commit({100, 110}, {make_claim(1, 101), make_claim(2, 102), make_claim(3, 103)});
  auto due = f.store->due(kT0, 10);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 3);
  // Between due() and the report, other writers change two of them.
  REQUIRE(f.store->mark_failed(key_of(1), "first try", kT0 + 10, 5, kT0).ok());
  REQUIRE(f.store->rollback_to(101, kT0 + 1).ok());  // claims 2 and 3 leave the chain
  CHECK(f.store->mark_replicated({key_of(2)}, kT0 + 2).code() == ErrorCode::kFailedPrecondition);
  CHECK(f.store->mark_failed(key_of(3), "x", kT0, 5, kT0).status().code() ==
        ErrorCode::kFailedPrecondition);
  REQUIRE(f.store->mark_replicated({key_of(1)}, kT0 + 3).ok());
  Claim c = f.get(key_of(1));
  CHECK(c.state == ClaimState::kDone);
  CHECK(c.attempts == 1);  // the retrying record, not the pending one due() returned
  f.check_invariants();
}

TEST_CASE("mark_replicated is all or nothing", "[node_store][replicated]") {
  Fixture f;
  drive_to(f, 1, ClaimState::kPending);
  drive_to(f, 2, ClaimState::kRetrying);
  drive_to(f, 3, ClaimState::kRevoking);
  drive_to(f, 4, ClaimState::kDead);
  const std::string before = snapshot(*f.store);

  auto st = f.store->mark_replicated({key_of(1), key_of(2), key_of(4)}, kT0 + 10);
  CHECK(st.code() == ErrorCode::kFailedPrecondition);
  CHECK_THAT(st.message(), Catch::Contains("dead"));
  st = f.store->mark_replicated({key_of(1), key_of(77)}, kT0 + 10);
  CHECK(st.code() == ErrorCode::kNotFound);
  CHECK(snapshot(*f.store) == before);

  REQUIRE(f.store->mark_replicated({key_of(1), key_of(2), key_of(3), key_of(1)}, kT0 + 10).ok());
  CHECK(f.state(key_of(1)) == ClaimState::kDone);
  CHECK(f.state(key_of(2)) == ClaimState::kDone);
  CHECK(f.get(key_of(2)).last_error.empty());
  CHECK(f.state(key_of(3)) == ClaimState::kRevoked);
  CHECK(f.store->mark_replicated({}, kT0).ok());
  f.check_invariants();
}

TEST_CASE("mark_failed retries with backoff, then dead-letters", "[node_store][failed]") {
  Fixture f;
  drive_to(f, 1, ClaimState::kPending);
  auto s = f.store->mark_failed(key_of(1), "constraint violation", kT0 + 1000, 3, kT0 + 1);
  REQUIRE(s.ok());
  CHECK(*s == ClaimState::kRetrying);
  Claim c = f.get(key_of(1));
  CHECK(c.attempts == 1);
  CHECK(c.last_error == "constraint violation");
  CHECK(c.next_attempt_at_ms == kT0 + 1000);
  CHECK(f.store->due(kT0 + 999, 10)->empty());
  CHECK(f.store->due(kT0 + 1000, 10)->size() == 1);

  CHECK(*f.store->mark_failed(key_of(1), "again", kT0 + 2000, 3, kT0 + 2) == ClaimState::kRetrying);
  CHECK(*f.store->mark_failed(key_of(1), "third", kT0 + 3000, 3, kT0 + 3) == ClaimState::kDead);
  c = f.get(key_of(1));
  CHECK(c.attempts == 3);
  CHECK(c.last_error == "third");
  CHECK(f.store->due(kT0 + 1'000'000, 10)->empty());
  CHECK(f.store->list_by_state(ClaimState::kDead, 10).size() == 1);

  drive_to(f, 2, ClaimState::kPending);  // max_attempts 1: straight to dead
  CHECK(*f.store->mark_failed(key_of(2), "bad", kT0, 1, kT0) == ClaimState::kDead);

  drive_to(f, 3, ClaimState::kRevoking);  // compensation never dead-letters
  for (int i = 0; i < 3; ++i) {
    CHECK(*f.store->mark_failed(key_of(3), "sink says no", kT0 + 500 * (i + 1), 1, kT0) ==
          ClaimState::kRevoking);
  }
  CHECK(f.get(key_of(3)).next_attempt_at_ms == kT0 + 1500);

  CHECK(f.store->mark_failed(key_of(3), "x", kT0, 0, kT0).status().code() ==
        ErrorCode::kInvalidArgument);
  CHECK(f.store->mark_failed(key_of(404), "x", kT0, 3, kT0).status().code() ==
        ErrorCode::kNotFound);
  f.check_invariants();
}

TEST_CASE("retry_dead gives a dead claim a fresh start", "[node_store][retry]") {
  Fixture f;
  drive_to(f, 1, ClaimState::kDead);
  REQUIRE(f.store->retry_dead(key_of(1), kT0 + 77).ok());
  Claim c = f.get(key_of(1));
  CHECK(c.state == ClaimState::kPending);
  CHECK(c.attempts == 0);
  CHECK(c.last_error.empty());
  CHECK(c.next_attempt_at_ms == kT0 + 77);
  CHECK(f.store->retry_dead(key_of(404), kT0).code() == ErrorCode::kNotFound);
  f.check_invariants();
}

TEST_CASE("mark_sent flags due claims once, durably; old records read as sent",
          "[node_store][sent]") {
  Fixture f;
  f.commit({100, 110}, {make_claim(1, 101), make_claim(2, 102), make_claim(3, 103)});
  REQUIRE(f.store->mark_replicated({key_of(3)}, kT0).ok());  // done: not a due state
  CHECK_FALSE(f.get(key_of(1)).sent_to_sink);                // a new claim was never sent
  auto marked = f.mark_sent(SinkOp::kApply, {key_of(1), key_of(3), key_of(1), key_of(404)});
  REQUIRE(marked.ok());
  REQUIRE(marked->size() == 1);  // 3 is done, 404 unknown, 1 once
  CHECK(marked->front().key == key_of(1));
  CHECK(marked->front().sent_to_sink);
  f.reopen();
  CHECK(f.get(key_of(1)).sent_to_sink);
  CHECK_FALSE(f.get(key_of(2)).sent_to_sink);
  CHECK_FALSE(f.get(key_of(3)).sent_to_sink);
  CHECK(f.state(key_of(1)) == ClaimState::kPending);  // the state does not move
  const std::string before = snapshot(*f.store);
  REQUIRE(f.mark_sent(SinkOp::kApply, {key_of(1)}).ok());  // already sent: nothing written
  CHECK(snapshot(*f.store) == before);

  // A record written before the flag existed (flags byte 0) is taken as maybe sent.
  Claim c = make_claim(9, 109);
  c.sent_to_sink = true;
  std::string value = c.encode_value();
  auto decoded = Claim::decode(c.key, value);
  REQUIRE(decoded.ok());
  CHECK(decoded->sent_to_sink);
  c.sent_to_sink = false;
  c.reapply_after_revoke = true;
  decoded = Claim::decode(c.key, c.encode_value());
  REQUIRE(decoded.ok());
  CHECK_FALSE(decoded->sent_to_sink);
  CHECK(decoded->reapply_after_revoke);
  f.check_invariants();
}

// The replicator takes claims with due(), then marks them; a reorg may run in between
// (it waits for the store's write lock). mark_sent hands back only the claims still
// awaiting the call, as stored now: an orphaned one must never reach the sink.
TEST_CASE("mark_sent leaves out the claims a reorg moved since due()", "[node_store][sent]") {
  Fixture f;
  f.commit({100, 120},
           {make_claim(1, 111), make_claim(2, 112), make_claim(3, 113), make_claim(4, 114)});
  REQUIRE(f.store->mark_replicated({key_of(4)}, kT0).ok());  // done, in the sink
  auto taken = f.store->due(kT0, 10);
  REQUIRE(taken.ok());
  REQUIRE(taken->size() == 3);
  REQUIRE(f.store->rollback_to(111, kT0 + 1).value().orphaned == 2);  // 2, 3 never sent
  REQUIRE(f.store->ingest(make_claim(3, 113), kT0 + 2).ok());         // 3 is back: pending

  auto marked = f.store->mark_sent(SinkOp::kApply, *taken);
  REQUIRE(marked.ok());
  REQUIRE(marked->size() == 2);
  CHECK(marked->at(0).key == key_of(1));
  CHECK(marked->at(1).key == key_of(3));
  for (const Claim& c : *marked) CHECK(c.sent_to_sink);
  CHECK_FALSE(f.get(key_of(2)).sent_to_sink);
  CHECK(f.state(key_of(2)) == ClaimState::kOrphaned);

  // The revoke side: 4 is revoking; taken, then seen again in its block before the mark.
  auto revoke = f.store->due(kT0 + 2, 10);
  REQUIRE(revoke.ok());
  std::vector<Claim> revoking;
  for (const Claim& c : *revoke)
    if (c.state == ClaimState::kRevoking) revoking.push_back(c);
  REQUIRE(revoking.size() == 1);
  CHECK(f.mark_sent(SinkOp::kApply, {key_of(4)})->empty());  // not an apply it awaits
  REQUIRE(f.store->ingest(make_claim(4, 114), kT0 + 3).ok());
  CHECK(f.store->mark_sent(SinkOp::kRevoke, revoking)->empty());
  f.check_invariants();
}

TEST_CASE("rollback revokes sent claims whatever their state; never-sent ones are orphaned",
          "[node_store][rollback][sent]") {
  Fixture f;
  f.commit({100, 120},
           {make_claim(1, 111), make_claim(2, 112), make_claim(3, 113), make_claim(4, 114)});
  REQUIRE(f.mark_sent(SinkOp::kApply, {key_of(1), key_of(2), key_of(3)}).ok());
  // 1: sent, outcome unknown (still pending); 2: sent, then rejected; 3: sent, dead.
  REQUIRE(f.store->mark_failed(key_of(2), "x", kT0 + 100, 5, kT0, SinkOp::kApply).ok());
  REQUIRE(f.store->mark_failed(key_of(3), "x", kT0 + 100, 1, kT0, SinkOp::kApply).ok());
  auto out = f.store->rollback_to(110, kT0 + 50);
  REQUIRE(out.ok());
  CHECK(out->revoking == 3);
  CHECK(out->orphaned == 1);
  for (std::uint64_t tx : {1, 2, 3}) {
    INFO("claim " << tx);
    const Claim c = f.get(key_of(tx));
    CHECK(c.state == ClaimState::kRevoking);
    CHECK(c.attempts == 0);
    CHECK(c.next_attempt_at_ms == kT0 + 50);
  }
  CHECK(f.state(key_of(4)) == ClaimState::kOrphaned);
  f.check_invariants();
}

TEST_CASE("settle moves only the claims that still want what the sink committed",
          "[node_store][settle]") {
  Fixture f;
  f.commit({100, 120}, {make_claim(1, 111), make_claim(2, 112), make_claim(3, 113),
                        make_claim(4, 114), make_claim(5, 115)});
  auto due = f.store->due(kT0, 10);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 5);
  REQUIRE(
      f.mark_sent(SinkOp::kApply, {key_of(1), key_of(2), key_of(3), key_of(4), key_of(5)}).ok());
  // While the sink commits the apply, 2..5 leave the chain; 3, 4, 5 come back in the
  // same blocks, 2 in another one.
  REQUIRE(f.store->rollback_to(111, kT0 + 1).ok());
  REQUIRE(f.store->ingest(make_claim(3, 113), kT0 + 2).ok());
  Claim moved = make_claim(2, 117);
  moved.block_hash = hash_of(117, 0xee);
  REQUIRE(f.store->ingest(moved, kT0 + 2).ok());
  CHECK(f.state(key_of(2)) == ClaimState::kRevoking);  // the sink may hold block 112's rows
  CHECK(f.get(key_of(2)).reapply_after_revoke);
  CHECK(f.state(key_of(3)) == ClaimState::kPending);
  CHECK(f.state(key_of(4)) == ClaimState::kRevoking);
  REQUIRE(f.store->ingest(make_claim(4, 114), kT0 + 3).ok());
  REQUIRE(f.store->ingest(make_claim(5, 115), kT0 + 3).ok());

  auto settled = f.store->settle(SinkOp::kApply, *due, kT0 + 5);
  REQUIRE(settled.ok());
  CHECK(settled->settled == 4);  // 1; 3, 4, 5 (re-seen in their blocks)
  CHECK(settled->skipped == 1);  // 2: revoking, the revoke is due
  CHECK(f.state(key_of(1)) == ClaimState::kDone);
  CHECK(f.state(key_of(2)) == ClaimState::kRevoking);
  CHECK(f.state(key_of(3)) == ClaimState::kDone);

  // The revoke of 2 commits: it goes back to pending with its new block, due now.
  auto revoke = f.store->due(kT0 + 10, 10);
  REQUIRE(revoke.ok());
  REQUIRE(revoke->size() == 1);
  settled = f.store->settle(SinkOp::kRevoke, *revoke, kT0 + 10);
  REQUIRE(settled.ok());
  CHECK(settled->settled == 1);
  Claim c = f.get(key_of(2));
  CHECK(c.state == ClaimState::kPending);
  CHECK_FALSE(c.reapply_after_revoke);
  CHECK(c.block_number == 117);
  CHECK(c.next_attempt_at_ms == kT0 + 10);
  // An apply that was sent with the old block hash does not settle the new version.
  Claim stale = c;
  stale.block_hash = hash_of(112, 0);
  settled = f.store->settle(SinkOp::kApply, {stale}, kT0 + 11);
  REQUIRE(settled.ok());
  CHECK(settled->skipped == 1);
  CHECK(f.state(key_of(2)) == ClaimState::kPending);
  settled = f.store->settle(SinkOp::kApply, {c, c}, kT0 + 12);  // repeated keys: once
  REQUIRE(settled.ok());
  CHECK(settled->settled == 1);
  CHECK(f.state(key_of(2)) == ClaimState::kDone);
  // A revoke that finds the claim done (revived meanwhile and re-applied) leaves it.
  settled = f.store->settle(SinkOp::kRevoke, {c}, kT0 + 13);
  REQUIRE(settled.ok());
  CHECK(settled->skipped == 1);
  CHECK(f.state(key_of(2)) == ClaimState::kDone);
  f.check_invariants();
}

TEST_CASE("mark_failed of an operation the claim no longer awaits changes nothing",
          "[node_store][replicated]") {
  Fixture f;
  f.commit({100, 120}, {make_claim(1, 111)});
  REQUIRE(f.mark_sent(SinkOp::kApply, {key_of(1)}).ok());
  REQUIRE(f.store->rollback_to(110, kT0 + 1).ok());  // revoking now
  const std::string before = snapshot(*f.store);
  CHECK(f.store->mark_failed(key_of(1), "x", kT0 + 9, 5, kT0 + 2, SinkOp::kApply).status().code() ==
        ErrorCode::kFailedPrecondition);
  CHECK(snapshot(*f.store) == before);
  CHECK(*f.store->mark_failed(key_of(1), "x", kT0 + 9, 5, kT0 + 2, SinkOp::kRevoke) ==
        ClaimState::kRevoking);
  f.check_invariants();
}

// ---- the whole transition table ------------------------------------------------------------

TEST_CASE("every operation from every state: legal moves happen, illegal ones change nothing",
          "[node_store][transitions]") {
  enum class Op { kReplicated, kFailed, kFailedLast, kRetryDead, kSent, kRollback, kIngest };
  const std::vector<std::pair<Op, const char*>> ops = {{Op::kReplicated, "mark_replicated"},
                                                       {Op::kFailed, "mark_failed"},
                                                       {Op::kFailedLast, "mark_failed(last)"},
                                                       {Op::kRetryDead, "retry_dead"},
                                                       {Op::kSent, "mark_sent"},
                                                       {Op::kRollback, "rollback_to"},
                                                       {Op::kIngest, "ingest"}};
  for (auto from : kAllStates) {
    for (const auto& [op, op_name] : ops) {
      INFO("from " << claim_state_name(from) << " via " << op_name);
      Fixture f;
      drive_to(f, 1, from);
      const std::string before = snapshot(*f.store);
      const ClaimKey k = key_of(1);
      Status st;
      switch (op) {
        case Op::kReplicated: st = f.store->mark_replicated({k}, kT0 + 100); break;
        case Op::kFailed:
          st = f.store->mark_failed(k, "e", kT0 + 900, 5, kT0 + 100).status();
          break;
        case Op::kFailedLast:
          st = f.store->mark_failed(k, "e", kT0 + 900, 1, kT0 + 100).status();
          break;
        case Op::kRetryDead: st = f.store->retry_dead(k, kT0 + 100); break;
        case Op::kSent:  // the call the replicator makes for a claim in this state
          st = f.mark_sent(from == ClaimState::kRevoking ? SinkOp::kRevoke : SinkOp::kApply, {k})
                   .status();
          break;
        case Op::kRollback: st = f.store->rollback_to(120, kT0 + 100).status(); break;
        case Op::kIngest:
          st = f.store->ingest(make_claim(1, block_for(1)), kT0 + 100).status();
          break;
      }
      const ClaimState to = f.state(k);
      if (!st.ok()) {
        CHECK(st.code() == ErrorCode::kFailedPrecondition);
        CHECK(snapshot(*f.store) == before);
      } else if (to != from || op == Op::kFailed || op == Op::kFailedLast) {
        CHECK(transition_allowed(from, to));
      }
      // What each operation must do, by state.
      const bool due_state = is_due_state(from);
      switch (op) {
        case Op::kReplicated:
          CHECK(st.ok() == due_state);
          if (st.ok())
            CHECK(to == (from == ClaimState::kRevoking ? ClaimState::kRevoked : ClaimState::kDone));
          break;
        case Op::kFailed:
          CHECK(st.ok() == due_state);
          if (st.ok())
            CHECK(to ==
                  (from == ClaimState::kRevoking ? ClaimState::kRevoking : ClaimState::kRetrying));
          break;
        case Op::kFailedLast:
          CHECK(st.ok() == due_state);
          if (st.ok())
            CHECK(to ==
                  (from == ClaimState::kRevoking ? ClaimState::kRevoking : ClaimState::kDead));
          break;
        case Op::kRetryDead:
          CHECK(st.ok() == (from == ClaimState::kDead));
          if (st.ok()) CHECK(to == ClaimState::kPending);
          break;
        case Op::kSent:
          REQUIRE(st.ok());
          CHECK(to == from);
          CHECK(f.store->get(k).value().sent_to_sink == due_state);
          break;
        case Op::kRollback: {
          REQUIRE(st.ok());
          std::map<ClaimState, ClaimState> expect = {{ClaimState::kPending, ClaimState::kOrphaned},
                                                     {ClaimState::kRetrying, ClaimState::kOrphaned},
                                                     {ClaimState::kDead, ClaimState::kOrphaned},
                                                     {ClaimState::kDone, ClaimState::kRevoking},
                                                     {ClaimState::kOrphaned, ClaimState::kOrphaned},
                                                     {ClaimState::kRevoking, ClaimState::kRevoking},
                                                     {ClaimState::kRevoked, ClaimState::kRevoked}};
          CHECK(to == expect[from]);
          break;
        }
        case Op::kIngest: {
          REQUIRE(st.ok());
          std::map<ClaimState, ClaimState> expect = {{ClaimState::kOrphaned, ClaimState::kPending},
                                                     {ClaimState::kRevoked, ClaimState::kPending},
                                                     {ClaimState::kRevoking, ClaimState::kPending}};
          CHECK(to == (expect.count(from) ? expect[from] : from));
          break;
        }
      }
      f.check_invariants();
    }
  }
}

TEST_CASE("the transition table matches DESIGN §5 and the store contract",
          "[node_store][transitions]") {
  using S = ClaimState;
  const std::vector<std::pair<S, S>> legal = {
      {S::kPending, S::kDone},
      {S::kPending, S::kRetrying},
      {S::kPending, S::kDead},
      {S::kPending, S::kOrphaned},
      {S::kRetrying, S::kDone},
      {S::kRetrying, S::kRetrying},
      {S::kRetrying, S::kDead},
      {S::kRetrying, S::kOrphaned},
      {S::kDead, S::kPending},
      {S::kDead, S::kOrphaned},
      {S::kOrphaned, S::kPending},
      {S::kDone, S::kRevoking},
      {S::kRevoking, S::kRevoked},
      {S::kRevoking, S::kRevoking},
      {S::kRevoked, S::kPending},
      // sent to the sink (which may hold their rows whatever the outcome), block gone
      {S::kPending, S::kRevoking},
      {S::kRetrying, S::kRevoking},
      {S::kDead, S::kRevoking},
      // canonical again after a revoke whose outcome may be unknown: apply again
      {S::kRevoking, S::kPending}};
  for (auto a : kAllStates) {
    for (auto b : kAllStates) {
      bool want = std::find(legal.begin(), legal.end(), std::make_pair(a, b)) != legal.end();
      INFO(claim_state_name(a) << " -> " << claim_state_name(b));
      CHECK(transition_allowed(a, b) == want);
    }
  }
}

// ---- queries -------------------------------------------------------------------------------

TEST_CASE("list by state (paginated), by tx, by wallet", "[node_store][queries]") {
  Fixture f;
  std::vector<Claim> claims;
  for (std::uint64_t i = 0; i < 25; ++i) claims.push_back(make_claim(i, 100 + i, i < 10 ? 1 : 2));
  claims.push_back(make_claim(3, 103, 1, 1, 0));  // same tx, more logs / batch positions
  claims.push_back(make_claim(3, 103, 1, 1, 1));
  f.commit({100, 130}, claims);

  std::vector<ClaimKey> paged;
  std::optional<ClaimKey> after;
  for (int page = 0; page < 10; ++page) {
    auto batch = f.store->list_by_state(ClaimState::kPending, 7, after);
    if (batch.empty()) break;
    for (const auto& c : batch) paged.push_back(c.key);
    after = batch.back().key;
  }
  CHECK(paged.size() == 27);
  CHECK(std::is_sorted(paged.begin(), paged.end()));
  CHECK(std::adjacent_find(paged.begin(), paged.end()) == paged.end());
  CHECK(f.store->list_by_state(ClaimState::kDone, 10).empty());

  auto tx = f.store->list_by_tx(kChain, key_of(3).tx_hash);
  REQUIRE(tx.size() == 3);
  CHECK(tx[1].key.log_index == 1);
  CHECK(tx[2].key.batch_index == 1);
  CHECK(f.store->list_by_tx(1, key_of(3).tx_hash).empty());

  CHECK(f.store->list_by_wallet(address_of(1), 100).size() == 12);
  CHECK(f.store->list_by_wallet(address_of(2), 100).size() == 15);
  CHECK(f.store->list_by_wallet(address_of(2), 4).size() == 4);
  CHECK(f.store->list_by_wallet(address_of(3), 100).empty());
}

TEST_CASE("list by an indexed state paginates in key order", "[node_store][queries]") {
  Fixture f;
  std::vector<Claim> claims;
  for (std::uint64_t i = 0; i < 23; ++i) claims.push_back(make_claim(i, 150));
  f.commit({100, 160}, claims);
  REQUIRE(f.store->mark_replicated({key_of(0), key_of(1)}, kT0).ok());
  REQUIRE(f.store->rollback_to(149, kT0 + 1).ok());  // 21 orphaned, 2 revoking
  std::vector<ClaimKey> paged;
  std::optional<ClaimKey> after;
  for (int page = 0; page < 10; ++page) {
    auto batch = f.store->list_by_state(ClaimState::kOrphaned, 4, after);
    if (batch.empty()) break;
    for (const auto& c : batch) {
      CHECK(c.state == ClaimState::kOrphaned);
      paged.push_back(c.key);
    }
    after = batch.back().key;
  }
  CHECK(paged.size() == 21);
  CHECK(std::is_sorted(paged.begin(), paged.end()));
  CHECK(std::adjacent_find(paged.begin(), paged.end()) == paged.end());
  CHECK(f.store->list_by_state(ClaimState::kRevoking, 10).size() == 2);
  CHECK(f.store->list_by_state(ClaimState::kPending, 10).empty());
}

TEST_CASE("concurrent writers and readers keep every invariant", "[node_store][threads]") {
  Fixture f;
  std::atomic<bool> failed{false};
  auto writer = [&](std::uint64_t base) {
    for (std::uint64_t i = 0; i < 150; ++i) {
      if (!f.store->ingest(make_claim(base + i, 200 + i % 7), kT0 + static_cast<std::int64_t>(i))
               .ok())
        failed = true;
      if (i % 10 == 9) {
        auto due = f.store->due(kT0 + 1'000'000, 5);
        if (!due) {
          failed = true;
          continue;
        }
        std::vector<ClaimKey> keys;
        for (const auto& c : *due) keys.push_back(c.key);
        auto st = f.store->mark_replicated(keys, kT0);
        // Another thread may have replicated the same claims first: that is a clean refusal.
        if (!st.ok() && st.code() != ErrorCode::kFailedPrecondition) failed = true;
      }
    }
  };
  auto reader = [&] {
    for (int i = 0; i < 200; ++i) {
      auto c = f.store->counters();
      if (c.total() > 300) failed = true;
      // Claims replicated by a writer while due() reads must not look like corruption.
      if (!f.store->due(kT0 + 1'000'000, 20).ok()) failed = true;
      (void)f.store->next_due_at();
      (void)f.store->list_by_wallet(address_of(1), 10);
    }
  };
  std::thread a(writer, 1'000), b(writer, 2'000), r(reader);
  a.join();
  b.join();
  r.join();
  CHECK_FALSE(failed);
  CHECK(f.store->counters().total() == 300);
  f.check_invariants();
}

TEST_CASE("oldest pending is the earliest created among pending and retrying",
          "[node_store][queries]") {
  Fixture f;
  CHECK_FALSE(f.store->oldest_pending_created_ms());
  REQUIRE(f.store->ingest(make_claim(1, 150), kT0).ok());
  REQUIRE(f.store->ingest(make_claim(2, 150), kT0 + 10).ok());
  REQUIRE(f.store->ingest(make_claim(3, 150), kT0 + 20).ok());
  CHECK(f.store->oldest_pending_created_ms() == kT0);
  REQUIRE(f.store->mark_failed(key_of(1), "x", kT0 + 5000, 5, kT0 + 30).ok());
  CHECK(f.store->oldest_pending_created_ms() == kT0);  // retrying still waits for the sink
  REQUIRE(f.store->mark_replicated({key_of(1)}, kT0 + 40).ok());
  CHECK(f.store->oldest_pending_created_ms() == kT0 + 10);
  REQUIRE(f.store->mark_replicated({key_of(2), key_of(3)}, kT0 + 50).ok());
  CHECK_FALSE(f.store->oldest_pending_created_ms());
}

TEST_CASE("notes are kept across reopen", "[node_store][notes]") {
  Fixture f;
  CHECK_FALSE(f.store->note("last_head"));
  REQUIRE(f.store->put_note("last_head", "12345").ok());
  REQUIRE(f.store->put_note("last_head", "12346").ok());
  f.reopen();
  CHECK(f.store->note("last_head") == std::string("12346"));
}

TEST_CASE("state survives reopen: counters, ranges, claims, due order", "[node_store][reopen]") {
  Fixture f;
  f.commit({100, 104}, {make_claim(1, 101), make_claim(2, 102)});
  REQUIRE(f.store->mark_replicated({key_of(1)}, kT0 + 1).ok());
  const std::string before = snapshot(*f.store);
  f.reopen();
  CHECK(snapshot(*f.store) == before);
  CHECK(f.store->counters().of(ClaimState::kDone) == 1);
  CHECK(f.store->due(kT0 + 10, 10)->size() == 1);
  f.check_invariants();
  f.store.reset();
  CHECK(verify_store_invariants(f.dir.path()).ok());
}

TEST_CASE("verify_store_invariants detects a broken index and a wrong counter",
          "[node_store][verify]") {
  TempDir dir("node-store-verify");
  {
    auto s = NodeStore::open(dir.path(), kIdentity);
    REQUIRE(s.ok());
    REQUIRE((*s)->commit_range({100, 101}, {}, {make_claim(1, 100), make_claim(2, 101)}, kT0).ok());
  }
  REQUIRE(verify_store_invariants(dir.path()).ok());
  {
    auto raw = RocksDb::open(dir.path(), RocksDb::Mode::kOpenExisting);
    REQUIRE(raw.ok());
    rocksdb::WriteBatch b;
    b.Delete((*raw)->cf(layout::Cf::kDue), layout::due_key(kT0, key_of(1)));
    b.Put((*raw)->cf(layout::Cf::kCounters), layout::counter_key(ClaimState::kDone), encode_u64(5));
    b.Put((*raw)->cf(layout::Cf::kRanges), encode_u64(102), encode_u64(110));  // touches [100,101]
    REQUIRE((*raw)->write(b, true).ok());
  }
  auto st = verify_store_invariants(dir.path());
  REQUIRE_FALSE(st.ok());
  CHECK(st.code() == ErrorCode::kCorruption);
  CHECK_THAT(st.message(), Catch::Contains("due has 1 entries, claims need 2"));
  CHECK_THAT(st.message(), Catch::Contains("counter done is 5, recount 0"));
  // A store whose ranges overlap refuses to open at all.
  CHECK(NodeStore::open(dir.path(), kIdentity).status().code() == ErrorCode::kCorruption);
}

// ---- write failures poison the store -------------------------------------------------------

namespace {

// A file system whose writable files fail Append/Sync while `failing` is set.
class FlakyFs : public rocksdb::FileSystemWrapper {
 public:
  explicit FlakyFs(const std::shared_ptr<rocksdb::FileSystem>& target)
      : FileSystemWrapper(target) {}
  const char* Name() const override { return "FlakyFs"; }

  std::atomic<bool> failing{false};

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    auto s = target()->NewWritableFile(name, options, result, dbg);
    if (s.ok()) *result = std::make_unique<File>(std::move(*result), this);
    return s;
  }

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile>&& f, FlakyFs* fs)
        : FSWritableFileOwnerWrapper(std::move(f)), fs_(fs) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* d) override {
      if (fs_->failing) return rocksdb::IOStatus::IOError("injected: disk on fire");
      return FSWritableFileOwnerWrapper::Append(data, o, d);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             const rocksdb::DataVerificationInfo& v,
                             rocksdb::IODebugContext* d) override {
      if (fs_->failing) return rocksdb::IOStatus::IOError("injected: disk on fire");
      return FSWritableFileOwnerWrapper::Append(data, o, v, d);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      if (fs_->failing) return rocksdb::IOStatus::IOError("injected: fsync failed");
      return FSWritableFileOwnerWrapper::Sync(o, d);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      if (fs_->failing) return rocksdb::IOStatus::IOError("injected: fsync failed");
      return FSWritableFileOwnerWrapper::Fsync(o, d);
    }

   private:
    FlakyFs* fs_;
  };
};

}  // namespace

TEST_CASE(
    "after a failed write the store refuses writes until reopened, and nothing half-done is "
    "visible",
    "[node_store][poison]") {
  TempDir dir("node-store-poison");
  auto fs = std::make_shared<FlakyFs>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  {
    auto opened = RocksNodeStore::open(dir.path(), &kIdentity, env.get());
    REQUIRE(opened.ok());
    auto& store = **opened;
    REQUIRE(store.commit_range({100, 101}, {}, {make_claim(1, 100)}, kT0).ok());

    fs->failing = true;
    auto r = store.commit_range({102, 103}, {}, {make_claim(2, 102)}, kT0);
    REQUIRE_FALSE(r.ok());
    fs->failing = false;
    // Poisoned: even a write that would now succeed is refused.
    auto st = store.mark_replicated({key_of(1)}, kT0);
    CHECK(st.code() == ErrorCode::kFailedPrecondition);
    CHECK_THAT(st.message(), Catch::Contains("restart"));
    CHECK(store.ingest(make_claim(3, 100), kT0).status().code() == ErrorCode::kFailedPrecondition);
    CHECK(store.put_note("x", "y").code() == ErrorCode::kFailedPrecondition);
    // The mirrors did not move.
    CHECK(store.checkpoint() == 101u);
    CHECK(store.counters().total() == 1);
  }
  auto reopened = NodeStore::open(dir.path(), kIdentity);
  REQUIRE(reopened.ok());
  CHECK((*reopened)->checkpoint() == 101u);
  CHECK_FALSE((*reopened)->get(key_of(2)));
  CHECK(verify_store_invariants(**reopened).ok());
  CHECK((*reopened)->mark_replicated({key_of(1)}, kT0).ok());
}

namespace {

// A file system whose files opened for reading fail every read while `failing` is set.
class UnreadableFs : public rocksdb::FileSystemWrapper {
 public:
  explicit UnreadableFs(const std::shared_ptr<rocksdb::FileSystem>& target)
      : FileSystemWrapper(target) {}
  const char* Name() const override { return "UnreadableFs"; }

  std::atomic<bool> failing{false};

  rocksdb::IOStatus NewRandomAccessFile(const std::string& name,
                                        const rocksdb::FileOptions& options,
                                        std::unique_ptr<rocksdb::FSRandomAccessFile>* result,
                                        rocksdb::IODebugContext* dbg) override {
    auto s = target()->NewRandomAccessFile(name, options, result, dbg);
    if (s.ok()) *result = std::make_unique<File>(std::move(*result), this);
    return s;
  }

 private:
  class File : public rocksdb::FSRandomAccessFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSRandomAccessFile>&& f, UnreadableFs* fs)
        : FSRandomAccessFileOwnerWrapper(std::move(f)), fs_(fs) {}
    rocksdb::IOStatus Read(std::uint64_t offset, std::size_t n, const rocksdb::IOOptions& o,
                           rocksdb::Slice* result, char* scratch,
                           rocksdb::IODebugContext* d) const override {
      if (fs_->failing) return rocksdb::IOStatus::IOError("injected: unreadable sector");
      return FSRandomAccessFileOwnerWrapper::Read(offset, n, o, result, scratch, d);
    }
    rocksdb::IOStatus MultiRead(rocksdb::FSReadRequest* reqs, std::size_t num,
                                const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      if (fs_->failing) {
        for (std::size_t i = 0; i < num; ++i) {
          reqs[i].status = rocksdb::IOStatus::IOError("injected: unreadable sector");
        }
        return rocksdb::IOStatus::IOError("injected: unreadable sector");
      }
      return FSRandomAccessFileOwnerWrapper::MultiRead(reqs, num, o, d);
    }

   private:
    UnreadableFs* fs_;
  };
};

}  // namespace

// Issue 10, defect 8: an iterator's I/O error used to read as "nothing stored", so the
// follower found no anchor below a range and committed it without the continuity check.
TEST_CASE("a list read that fails part-way makes the store refuse writes", "[node_store][poison]") {
  TempDir dir("node-store-unreadable");
  auto fs = std::make_shared<UnreadableFs>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  {
    auto opened = RocksNodeStore::open(dir.path(), &kIdentity, env.get());
    REQUIRE(opened.ok());
    std::vector<BlockRecord> blocks;
    for (std::uint64_t n = 100; n <= 140; ++n) blocks.push_back({n, hash_of(n, 1), hash_of(n, 2)});
    REQUIRE((*opened)->commit_range({100, 140}, blocks, {make_claim(1, 120)}, kT0).ok());
  }
  // Reopened: recovery flushed the log into table files, so reads go to the files.
  auto opened = RocksNodeStore::open(dir.path(), &kIdentity, env.get());
  REQUIRE(opened.ok());
  auto& store = **opened;
  fs->failing = true;
  const auto below = store.blocks_descending(140, 1);
  fs->failing = false;
  REQUIRE(below.empty());  // the data block is not cached after a reopen: the read failed
  const auto refused = store.commit_range({141, 141}, {}, {make_claim(2, 141)}, kT0);
  CHECK(refused.status().code() == ErrorCode::kFailedPrecondition);
  CHECK(store.checkpoint() == 140u);  // nothing committed on the strength of the failed read
}
