// The origin-queue import's parts without processes: the table name check and the SQLite
// reader (a temp file), and OriginQueueImport's classes against a scripted chain and a
// real RocksDB store, including an RPC outage (unverified, nothing ingested).
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <cctype>

#include "node/reconcile/origin_queue_import.hpp"
#include "node/reconcile/origin_queue_table.hpp"
#include "rpc/keccak.hpp"
#include "storage/node_store.hpp"
#include "tests/support/fake_chain.hpp"
#include "tests/support/process.hpp"

using namespace claimsync;
using namespace claimsync::node;
using claimsync::testing::fake_wallet;
using claimsync::testing::FakeChain;
using claimsync::testing::FakeTransfer;
using C = OriginImportClass;

namespace {

eth::Hash32 tx_of(std::uint64_t id) { return eth::keccak256("fake-tx:" + std::to_string(id)); }

FakeTransfer with_id(FakeTransfer t, std::uint64_t id) {
  t.tx_id = id;
  return t;
}

struct Rows {
  std::vector<std::optional<std::string>> values;
  Status read(const std::string& url, const std::string& table) {
    values.clear();
    return read_origin_queue(url, table, 5'000, [&](std::optional<std::string_view> v) {
      values.push_back(v ? std::optional<std::string>(*v) : std::nullopt);
    });
  }
};

}  // namespace

TEST_CASE("origin queue table names: plain SQL names, at most schema.name", "[reconcile]") {
  CHECK(parse_table_name("claim_sync_queue_old").ok());
  CHECK(*parse_table_name("public.q$1") == std::vector<std::string>{"public", "q$1"});
  for (const char* bad : {"", ".", "a.", ".a", "a.b.c", "1abc", "a-b", "a b", "q;DROP TABLE x",
                          "\"q\"", "a'b", "$a"}) {
    INFO(bad);
    auto r = parse_table_name(bad);
    CHECK_FALSE(r.ok());
    CHECK(r.status().code() == ErrorCode::kInvalidArgument);
  }
  CHECK_FALSE(parse_table_name(std::string(64, 'a')).ok());
  CHECK(parse_table_name(std::string(63, 'a')).ok());
}

TEST_CASE("origin queue table on SQLite: rows, and each wrong table refused", "[reconcile]") {
  claimsync::testing::TempDir dir("origin-queue-sqlite");
  const std::string path = dir.file("m.db");
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(
        "CREATE TABLE old_queue (id INTEGER PRIMARY KEY, wallet_address TEXT, tx_hash TEXT);"
        "INSERT INTO old_queue (tx_hash) VALUES ('0x01'), (NULL), ('recovery_1');"
        "CREATE TABLE members (wallet_address TEXT);"
        "CREATE TABLE claim_sync_queue (claim_key TEXT, tx_hash TEXT);");
  }
  const std::string url = "sqlite:" + path;
  Rows rows;
  REQUIRE(rows.read(url, "old_queue").ok());
  CHECK(rows.values.size() == 3);
  CHECK(std::count(rows.values.begin(), rows.values.end(), std::nullopt) == 1);
  REQUIRE(rows.read(url, "main.OLD_QUEUE").ok());
  CHECK(rows.values.size() == 3);
  CHECK(rows.read(url, "nosuch").code() == ErrorCode::kNotFound);
  CHECK(rows.read(url, "members").code() == ErrorCode::kFailedPrecondition);
  CHECK(rows.read(url, "claim_sync_queue").code() == ErrorCode::kInvalidArgument);
  CHECK(rows.read(url, "old_queue; DROP TABLE members").code() == ErrorCode::kInvalidArgument);
  CHECK_FALSE(rows.read(url, "other.old_queue").ok());  // no such schema
  SQLite::Database db(path);
  CHECK(db.execAndGet("SELECT count(*) FROM members").getInt() == 0);  // still there
}

TEST_CASE("OriginQueueImport: each class; an RPC outage leaves hashes unverified", "[reconcile]") {
  FakeChain chain;
  claimsync::testing::TempDir dir("origin-queue-import");
  auto opened = store::NodeStore::open(dir.path(), {chain.id(), chain.contract(), 1});
  REQUIRE(opened.ok());
  std::unique_ptr<store::NodeStore> store = std::move(*opened);
  SystemClock clock;
  const eth::Address alice = fake_wallet(1), bob = fake_wallet(2);
  chain.mine({with_id(FakeTransfer::mint(alice, 1), 1)});  // the store lacks it
  chain.mine({with_id(FakeTransfer::mint(bob, 2), 2)});    // the store has it
  FakeTransfer other = FakeTransfer::mint(alice, 1);
  other.contract = fake_wallet(99);
  chain.mine({with_id(other, 3), with_id(FakeTransfer::transfer(alice, bob, 1), 4)});
  for (store::Claim c : chain.expected_claims({1, 2, 3}, 2, 2)) {
    c.sources = store::kSourceScan;
    REQUIRE(store->ingest(c, clock.now_ms()).ok());
  }

  OriginImportOptions o;
  o.intake.chain_id = chain.id();
  o.intake.contract = chain.contract();
  o.intake.levels = {1, 2, 3};
  o.intake.workers = 2;
  o.retry_ms = 200;
  o.window = 2;  // fewer than the hashes: the window refills
  o.samples = 1;
  std::vector<std::string> lines;
  auto progress = [&](const std::string& l) { lines.push_back(l); };
  auto rows = [&](OriginQueueImport& im) {
    for (std::uint64_t id : {1, 2, 3, 4, 5}) im.add_row(tx_of(id).hex());
    std::string upper = tx_of(1).hex();
    for (std::size_t i = 2; i < upper.size(); ++i)
      upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
    im.add_row(upper);  // the same hash again
    im.add_row("recovery_1700000000000_0xabc_1");
    im.add_row(std::nullopt);
  };

  SECTION("classes") {
    OriginQueueImport im("q", o);
    rows(im);
    im.verify(chain, *store, clock, progress);
    const OriginImportSummary& s = im.summary();
    CHECK(s.rows == 8);
    CHECK(s.duplicates == 1);
    CHECK(s.distinct() == 7);
    CHECK(s.of(C::kIngested).count == 1);
    CHECK(s.claims_ingested == 1);
    CHECK(s.of(C::kAlreadyKnown).count == 1);
    CHECK(s.of(C::kForeign).count == 2);  // another contract's mint, a transfer
    CHECK(s.of(C::kForeign).samples.size() == 1);
    CHECK(s.of(C::kNoReceipt).count == 1);
    CHECK(s.of(C::kPlaceholder).count == 2);
    CHECK(s.of(C::kUnverified).count == 0);
    CHECK(s.not_a_mint() == 5);
    REQUIRE(im.ingested_keys().size() == 1);
    const auto claim = store->get(im.ingested_keys()[0]);
    REQUIRE(claim);
    CHECK(claim->wallet == alice);
    CHECK(claim->sources == store::kSourceReconcile);
    CHECK(claim->state == store::ClaimState::kPending);  // the replicator's, next
    REQUIRE_FALSE(lines.empty());
    CHECK(lines.back().rfind("reconcile import: 5/5 tx hash(es) verified", 0) == 0);

    ReconcileReport report;
    add_origin_import(im.summary(), report);
    CHECK(report.complete());
    CHECK(report.to_json()["origin_import"]["not_a_mint"]["foreign"]["count"] == 2);
  }

  SECTION("an RPC outage: unverified, partial, nothing ingested") {
    chain.fail_next(FakeChain::Op::kReceipt, 1'000'000);
    OriginQueueImport im("q", o);
    rows(im);
    im.verify(chain, *store, clock, progress);
    const OriginImportSummary& s = im.summary();
    CHECK(s.of(C::kAlreadyKnown).count == 1);
    CHECK(s.of(C::kUnverified).count == 4);
    CHECK(s.of(C::kIngested).count == 0);
    CHECK(im.ingested_keys().empty());
    CHECK(store->counters().total() == 1);
    ReconcileReport report;
    add_origin_import(im.summary(), report);
    CHECK_FALSE(report.complete());
    CHECK(report.exit_code() == 2);
  }
}
