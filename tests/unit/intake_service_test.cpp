// IntakeService against a scripted chain and a real RocksDB store: a hint is verified from
// the receipt, never from the payload; forged hints change nothing; a hint in a block the
// scan has covered cannot add a claim; bounded queues answer 429; attestations never
// block their claim.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <thread>

#include "node/intake/intake_service.hpp"
#include "rpc/keccak.hpp"
#include "storage/node_store.hpp"
#include "tests/support/fake_chain.hpp"
#include "tests/support/process.hpp"

using namespace claimsync;
using namespace claimsync::node;
using claimsync::testing::fake_wallet;
using claimsync::testing::FakeChain;
using claimsync::testing::FakeTransfer;
using nlohmann::json;

namespace {

eth::Hash32 tx_of(std::uint64_t id) { return eth::keccak256("fake-tx:" + std::to_string(id)); }

FakeTransfer with_id(FakeTransfer t, std::uint64_t id) {
  t.tx_id = id;
  return t;
}

struct Harness {
  FakeChain chain;
  claimsync::testing::TempDir dir{"intake-test"};
  std::unique_ptr<store::NodeStore> store;
  SystemClock clock;
  StopFlag stop;
  std::atomic<int> ingested{0};
  std::vector<std::string> outcomes;
  std::mutex outcomes_mu;
  std::unique_ptr<IntakeService> intake;

  explicit Harness(IntakeOptions o = {}, AttestationChecks checks = {}) {
    auto s = store::NodeStore::open(dir.path(), {chain.id(), chain.contract(), 1});
    REQUIRE(s.ok());
    store = std::move(*s);
    o.chain_id = chain.id();
    o.contract = chain.contract();
    if (o.levels.empty()) o.levels = {1, 2, 3};
    if (o.recheck_ms == 1'000) o.recheck_ms = 20;
    IntakeHooks hooks;
    hooks.on_ingested = [this] { ++ingested; };
    hooks.on_hint = [this](std::uint32_t, const std::string& outcome) {
      std::lock_guard lock(outcomes_mu);
      outcomes.push_back(outcome);
    };
    intake = std::make_unique<IntakeService>(chain, *store, clock, stop, o, std::move(checks),
                                             std::move(hooks));
    intake->start();
  }
  ~Harness() {
    stop.request_stop();
    intake.reset();
  }

  ApiReply hint(const eth::Hash32& tx, json attestation = nullptr) {
    json body = {{"tx_hash", tx.hex()}};
    if (!attestation.is_null()) body["attestation"] = attestation;
    return intake->submit(body);
  }
  // Re-sends the hint (duplicates are cheap) until its status is no longer `from`.
  ApiReply settle(const eth::Hash32& tx, json attestation = nullptr,
                  const std::string& from = "verifying") {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    ApiReply r = hint(tx, attestation);
    while (r.body.value("status", "") == from && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      r = hint(tx, attestation);
    }
    INFO(r.body.dump());
    REQUIRE(r.body.value("status", "") != from);
    return r;
  }
};

}  // namespace

TEST_CASE("a hint is verified from the receipt and ingested with source intake", "[intake]") {
  Harness h;
  const auto alice = fake_wallet(1);
  h.chain.mine({with_id(FakeTransfer::mint_batch(alice, {{1, 1}, {2, 1}, {7, 1}}), 1)});

  ApiReply first = h.hint(tx_of(1));
  CHECK((first.status == 202 || first.status == 200));
  ApiReply r = h.settle(tx_of(1));
  CHECK(r.status == 200);
  CHECK(r.body["status"] == "claimed");
  REQUIRE(r.body["claims"].size() == 2);  // id 7 is not a configured level
  CHECK(r.body["claims"][0]["wallet"] == alice.lower_hex());
  CHECK(r.body["claims"][0]["sources"] == "intake");
  CHECK(r.body["block"]["number"] == 1);

  auto claims = h.store->list_by_tx(h.chain.id(), tx_of(1));
  REQUIRE(claims.size() == 2);
  for (const auto& c : claims) {
    CHECK(c.sources == store::kSourceIntake);
    CHECK(c.state == store::ClaimState::kPending);
    CHECK(c.block_hash == h.chain.block(1).header.hash);
  }
  CHECK(h.ingested >= 1);

  // Duplicates are answered from the entry: no second receipt read.
  const auto reads = h.chain.calls(FakeChain::Op::kReceipt);
  for (int i = 0; i < 50; ++i) CHECK(h.hint(tx_of(1)).body["status"] == "claimed");
  CHECK(h.chain.calls(FakeChain::Op::kReceipt) == reads);
  CHECK(h.store->counters().total() == 2);
}

TEST_CASE("forged hints change nothing", "[intake]") {
  IntakeOptions o;
  o.watch_ms = 300;
  Harness h(o);
  const auto alice = fake_wallet(1), bob = fake_wallet(2);
  FakeTransfer other = with_id(FakeTransfer::mint(alice, 1), 2);
  other.contract = fake_wallet(0xBAD);
  h.chain.mine({other,                                                           // another contract
                with_id(FakeTransfer::transfer(alice, bob, 1), 3),               // a plain transfer
                with_id(FakeTransfer::transfer(alice, eth::Address(), 1), 4)});  // a burn

  CHECK(h.settle(tx_of(2)).body["status"] == "no_claim");
  CHECK(h.settle(tx_of(3)).body["status"] == "no_claim");
  CHECK(h.settle(tx_of(4)).body["status"] == "no_claim");
  ApiReply unknown = h.settle(tx_of(999));  // never mined: watched, then given up
  CHECK(unknown.body["status"] == "not_found");
  CHECK(h.store->counters().total() == 0);
  CHECK(h.ingested == 0);

  // Mined after its watch ended: a hint sent a watch later looks again.
  h.chain.mine({with_id(FakeTransfer::mint(alice, 2), 999)});
  h.settle(tx_of(999), nullptr, "not_found");  // until the 300 ms cool-down has passed
  CHECK(h.settle(tx_of(999)).body["status"] == "claimed");
  CHECK(h.store->counters().total() == 1);
  CHECK(h.ingested == 1);
}

TEST_CASE("bad input is 400 and tracks nothing", "[intake]") {
  Harness h;
  for (const json& body :
       {json(nullptr), json::array(), json("0x12"), json::object(), json{{"tx_hash", 5}},
        json{{"tx_hash", "0x1234"}}, json{{"tx_hash", "'; DROP TABLE members; --"}},
        json{{"tx_hash", std::string(66, 'f')}}}) {
    ApiReply r = h.intake->submit(body);
    INFO(body.dump());
    CHECK(r.status == 400);
    CHECK(r.body["error"]["code"].is_string());
  }
  // An attestation without a parser configured is refused as input, not ignored.
  ApiReply r = h.hint(tx_of(1), json{{"minter", "0x00"}});
  CHECK(r.status == 400);
  CHECK(h.intake->stats().tracked == 0);
}

TEST_CASE("an RPC failure is not an answer: the hint is re-checked", "[intake]") {
  Harness h;
  h.chain.mine({with_id(FakeTransfer::mint(fake_wallet(1), 2), 5)});
  h.chain.fail_next(FakeChain::Op::kReceipt, 3, ErrorCode::kUnavailable);
  ApiReply r = h.settle(tx_of(5));
  CHECK(r.body["status"] == "claimed");
  CHECK(h.chain.calls(FakeChain::Op::kReceipt) >= 4);
}

TEST_CASE("a hint in a block the scan covered cannot add a claim", "[intake]") {
  Harness h;
  h.chain.mine({with_id(FakeTransfer::mint(fake_wallet(1), 1), 6)});
  // The scan of block 1 found nothing (its receipt is from a fork the node never saw).
  REQUIRE(h.store->commit_range({1, 1}, {}, {}, 0).ok());
  ApiReply r = h.settle(tx_of(6));
  CHECK(r.body["status"] == "mismatch");
  CHECK(h.store->counters().total() == 0);
  std::lock_guard lock(h.outcomes_mu);
  CHECK(h.outcomes == std::vector<std::string>{"off_chain"});
}

TEST_CASE("when_final waits for the scan to cover the block", "[intake]") {
  IntakeOptions o;
  o.replicate = IntakeReplicate::kWhenFinal;
  Harness h(o);
  h.chain.mine({with_id(FakeTransfer::mint(fake_wallet(1), 3), 7)});
  ApiReply r = h.settle(tx_of(7));
  CHECK(r.status == 202);
  CHECK(r.body["status"] == "awaiting_finality");
  CHECK(h.store->counters().total() == 0);

  // The follower scans block 1 and finds the claim; the hint adds its source.
  auto scanned = h.chain.expected_claims({1, 2, 3}, 1, 1);
  REQUIRE(scanned.size() == 1);
  scanned[0].sources = store::kSourceScan;
  REQUIRE(h.store->commit_range({1, 1}, {}, scanned, 0).ok());
  r = h.settle(tx_of(7), nullptr, "awaiting_finality");
  CHECK(r.body["status"] == "claimed");
  auto c = h.store->get(scanned[0].key);
  REQUIRE(c);
  CHECK(c->sources == (store::kSourceScan | store::kSourceIntake));
}

TEST_CASE("verifications are bounded: a full queue answers 429", "[intake]") {
  IntakeOptions o;
  o.workers = 1;
  o.queue_limit = 3;
  Harness h(o);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  h.chain.set_hook([&](FakeChain::Op op) {
    if (op != FakeChain::Op::kReceipt) return;
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return release; });
  });
  int busy = 0;
  for (std::uint64_t i = 0; i < 10; ++i) {
    ApiReply r = h.hint(tx_of(100 + i));
    if (r.status == 429)
      ++busy;
    else
      CHECK(r.status == 202);
  }
  CHECK(busy == 7);
  CHECK(h.intake->stats().open == 3);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  h.chain.set_hook(nullptr);
}

TEST_CASE(
    "attestations: accepted gives the referrer, refused never blocks the claim, a "
    "replayed nonce is refused",
    "[intake]") {
  const auto alice = fake_wallet(1), carol = fake_wallet(3);
  AttestationChecks checks;
  checks.parse = [](const json& j) -> Result<ReferralAttestation> {
    ReferralAttestation a;
    a.minter = *eth::Address::parse(j.at("minter").get<std::string>());
    a.referrer = *eth::Address::parse(j.at("referrer").get<std::string>());
    a.nonce = eth::keccak256(j.at("nonce").get<std::string>());
    a.signature = {j.at("good").get<bool>() ? std::uint8_t{1} : std::uint8_t{0}};
    return a;
  };
  checks.verify = [](const ReferralAttestation& a,
                     const AttestationContext& ctx) -> Result<AttestationVerdict> {
    if (ctx.log_minter != a.minter) return AttestationVerdict{false, "", "minter_mismatch", "x"};
    if (a.signature.at(0) == 1) return AttestationVerdict{true, "eoa", "", ""};
    return AttestationVerdict{false, "eoa", "bad_signature", "the signature is not the minter's"};
  };
  Harness h({}, checks);
  h.chain.mine({with_id(FakeTransfer::mint(alice, 1), 10),
                with_id(FakeTransfer::mint(alice, 2), 11),
                with_id(FakeTransfer::mint(alice, 3), 12)});
  auto att = [&](bool good, const std::string& nonce) {
    return json{{"minter", alice.lower_hex()},
                {"referrer", carol.lower_hex()},
                {"nonce", nonce},
                {"good", good}};
  };

  ApiReply bad = h.settle(tx_of(10), att(false, "n1"));
  CHECK(bad.body["status"] == "claimed");
  REQUIRE(bad.body["attestations"].size() == 1);
  CHECK(bad.body["attestations"][0]["code"] == "bad_signature");
  CHECK(bad.body["claims"][0]["referrer"].is_null());

  ApiReply good = h.settle(tx_of(11), att(true, "n2"));
  CHECK(good.body["claims"][0]["referrer"] == carol.lower_hex());
  CHECK(good.body["attestations"][0]["accepted"] == true);

  ApiReply replay = h.settle(tx_of(12), att(true, "n2"));  // same nonce, another claim
  CHECK(replay.body["status"] == "claimed");
  CHECK(replay.body["attestations"][0]["code"] == "replayed");
  CHECK(replay.body["claims"][0]["referrer"].is_null());
  CHECK(h.store->counters().total() == 3);

  // An attestation sent after the claim was answered is checked and applied.
  const auto before = h.store->list_by_tx(h.chain.id(), tx_of(10));
  REQUIRE(before.size() == 1);
  CHECK_FALSE(before[0].referrer);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  ApiReply late = h.hint(tx_of(10), att(true, "n3"));
  while (late.body["attestations"].size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    late = h.hint(tx_of(10));
  }
  REQUIRE(late.body["attestations"].size() == 2);
  CHECK(late.body["claims"][0]["referrer"] == carol.lower_hex());
}
