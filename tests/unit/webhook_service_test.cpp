// WebhookService: the route's decisions, with a fake intake and a frozen clock. Every
// refused delivery (unconfigured, forged, stale, truncated, re-encoded, malformed, too
// large, replayed) submits nothing; an accepted one submits each tx of the configured
// chain and contract once, rechecking the removed ones; a full intake is "deferred".
#include <catch2/catch.hpp>

#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "node/webhooks/webhook_scheme.hpp"
#include "node/webhooks/webhook_service.hpp"
#include "node/webhooks/webhook_verifier.hpp"
#include "rpc/erc1155.hpp"
#include "tests/support/frozen_clock.hpp"
#include "tests/support/webhook_bodies.hpp"

namespace ct = claimsync::testing;
using namespace claimsync;
using namespace claimsync::node;

namespace {

constexpr std::uint64_t kChain = 42161;
const eth::Address kContract =
    eth::Address::parse("0x5fbdb2315678afecb367f032d93f642f64180aa3").value();
const eth::Address kOther =
    eth::Address::parse("0xe7f1725e7734ce288f8367e1bb143e90bb3f0512").value();
const std::map<std::string, std::string> kSecrets = {
    {"thirdweb", "whsecret_unit"}, {"alchemy", "alchemy-key"},
    {"quicknode", "qn-token"},     {"standard", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
    {"moralis", "moralis-secret"},
};

eth::Hash32 h(std::uint8_t b) {
  std::array<std::uint8_t, 32> a{};
  a.fill(b);
  return eth::Hash32(a);
}
eth::Hash32 word(const eth::Address& a) {
  std::array<std::uint8_t, 32> w{};
  std::copy(a.bytes().begin(), a.bytes().end(), w.begin() + 12);
  return eth::Hash32(w);
}

ct::FixtureLog log_of(std::uint8_t tx, std::uint64_t index, const eth::Address& emitter,
                      const eth::Address& from, bool batch = false) {
  ct::FixtureLog l;
  l.chain_id = kChain;
  l.block_number = 100;
  l.block_hash = h(0xbb);
  l.tx = h(tx);
  l.tx_index = 0;
  l.log_index = index;
  l.address = emitter;
  l.topics = {batch ? eth::transfer_batch_topic() : eth::transfer_single_topic(), word(kOther),
              word(from), word(kOther)};
  l.data_hex = "0x" + std::string(128, '0');
  return l;
}

struct Fixture {
  ct::FrozenClock clock{1'700'000'000'000};
  std::mutex mu;
  std::vector<std::pair<eth::Hash32, bool>> submitted;
  int answer_status = 202;
  std::map<std::string, int> results;
  std::unique_ptr<WebhookService> service;

  explicit Fixture(std::set<std::string> enabled = {"thirdweb", "alchemy", "quicknode", "standard",
                                                    "moralis"}) {
    WebhooksConfig config;
    config.max_body_bytes = 64 * 1024;
    for (std::string_view p : webhook_providers()) {
      WebhookProviderConfig pc;
      if (enabled.count(std::string(p)) != 0) pc.secret = kSecrets.at(std::string(p));
      pc.network = "ARB_MAINNET";
      config.providers.emplace(std::string(p), pc);
    }
    WebhookHooks hooks;
    hooks.on_request = [this](std::string_view, std::string_view result) {
      std::lock_guard lock(mu);
      ++results[std::string(result)];
    };
    service = std::make_unique<WebhookService>(
        config, kChain, kContract,
        [this](const eth::Hash32& tx, bool recheck) {
          std::lock_guard lock(mu);
          submitted.emplace_back(tx, recheck);
          return ApiReply{answer_status, {}, {}};
        },
        clock, hooks);
  }

  std::int64_t now_s() { return clock.now_ms() / 1000; }

  // POSTs `body` signed as `provider` at ts (its own scheme row).
  ApiReply post(const std::string& provider, const std::string& body, std::int64_t ts,
                const std::string& id = "id-1", const std::string& secret = "",
                std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> headers = std::move(extra);
    const auto scheme = select_webhook_scheme(provider, [](std::string_view) { return true; });
    REQUIRE(scheme);
    const std::string t = std::to_string(ts);
    headers.emplace(std::string(scheme->signature_header),
                    sign_webhook_delivery(*scheme, secret.empty() ? kSecrets.at(provider) : secret,
                                          id, t, body));
    if (!scheme->timestamp_header.empty())
      headers.emplace(std::string(scheme->timestamp_header), t);
    if (!scheme->id_header.empty()) headers.emplace(std::string(scheme->id_header), id);
    return raw(provider, body, headers);
  }
  ApiReply raw(const std::string& provider, const std::string& body,
               const std::map<std::string, std::string>& headers) {
    return service->handle(
        {provider, body, [&](std::string_view name) -> std::optional<std::string> {
           for (const auto& [k, v] : headers) {
             if (k.size() == name.size() &&
                 std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
                   return std::tolower(static_cast<unsigned char>(a)) ==
                          std::tolower(static_cast<unsigned char>(b));
                 }))
               return v;
           }
           return std::nullopt;
         }});
  }
};

std::vector<ct::FixtureLog> mixed_logs() {
  return {log_of(1, 0, kContract, eth::Address()),        // mint
          log_of(2, 1, kContract, eth::Address(), true),  // batch mint
          log_of(2, 2, kContract, eth::Address(), true),  // same tx, another log
          log_of(3, 3, kContract, kOther),                // a transfer, not a mint
          log_of(4, 4, kOther, eth::Address())};          // another contract's mint
}

}  // namespace

TEST_CASE("webhook service: an accepted delivery submits each mint tx once", "[webhooks]") {
  Fixture f;
  const ApiReply r = f.post("thirdweb", ct::thirdweb_insight_body(mixed_logs()), f.now_s());
  INFO(r.body.dump());
  REQUIRE(r.status == 200);
  CHECK(r.body["status"] == "accepted");
  CHECK(r.body["hints"] == 2);
  CHECK(r.body["ignored"] == 2);
  REQUIRE(f.submitted.size() == 2);
  std::set<eth::Hash32> txs;
  for (const auto& [tx, recheck] : f.submitted) {
    txs.insert(tx);
    CHECK_FALSE(recheck);
  }
  CHECK(txs == std::set<eth::Hash32>{h(1), h(2)});
  CHECK(f.results["accepted"] == 1);
}

TEST_CASE("webhook service: refused deliveries submit nothing", "[webhooks]") {
  Fixture f;
  const std::string body = ct::standard_claim_hint_body(mixed_logs());
  const std::int64_t now = f.now_s();
  CHECK(f.post("standard", body, now, "id-1", "whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB").status ==
        401);                                                // another secret
  CHECK(f.raw("standard", body, {}).status == 401);          // unsigned
  CHECK(f.post("standard", body, now - 301).status == 401);  // stale
  CHECK(f.post("standard", body, now + 301).status == 401);  // from the future
  {
    // Signed, then the body cut or re-encoded in transit.
    const auto scheme = select_webhook_scheme("standard", [](std::string_view) { return true; });
    const std::string sig =
        sign_webhook_delivery(*scheme, kSecrets.at("standard"), "id-9", std::to_string(now), body);
    const std::map<std::string, std::string> headers = {{"webhook-id", "id-9"},
                                                        {"webhook-timestamp", std::to_string(now)},
                                                        {"webhook-signature", sig}};
    CHECK(f.raw("standard", body.substr(0, body.size() - 1), headers).status == 401);
    CHECK(f.raw("standard", nlohmann::json::parse(body).dump(1), headers).status == 401);
    CHECK(f.raw("standard", body, headers).status == 200);  // the untouched one passes
    f.submitted.clear();
    CHECK(f.raw("standard", body, headers).status == 409);  // replayed as is
  }
  CHECK(f.post("standard", "{\"type\": 5}", now, "id-2").status == 400);  // signed, bad shape
  CHECK(f.post("standard", std::string(70 * 1024, ' '), now, "id-3").status == 413);
  CHECK(f.submitted.empty());
  CHECK(f.results["bad_signature"] == 4);
  CHECK(f.results["stale"] == 2);
  CHECK(f.results["duplicate"] == 1);
  CHECK(f.results["malformed"] == 1);
  CHECK(f.results["too_large"] == 1);
}

TEST_CASE("webhook service: unknown or unconfigured providers are 404", "[webhooks]") {
  Fixture f({"standard"});
  const std::string body = ct::alchemy_nft_activity_body("whevt_1", "ARB_MAINNET", mixed_logs());
  CHECK(f.post("alchemy", body, f.now_s()).status == 404);
  CHECK(f.raw("nope", "{}", {}).status == 404);
  CHECK_FALSE(f.service->enabled("alchemy"));
  CHECK(f.service->enabled("standard"));
  CHECK(f.submitted.empty());
  CHECK(f.results.empty());  // nothing counted for a route that does not exist
}

TEST_CASE("webhook service: every provider's accepted path, other chains ignored", "[webhooks]") {
  Fixture f;
  const auto logs = mixed_logs();
  const std::int64_t now = f.now_s();
  struct Case {
    std::string provider, body;
  };
  const std::vector<Case> cases = {
      {"thirdweb", ct::thirdweb_insight_body(logs)},
      {"thirdweb", ct::thirdweb_unified_body("evt_1", logs)},
      {"alchemy", ct::alchemy_graphql_body("whevt_1", "ARB_MAINNET", logs)},  // one block
      {"alchemy", ct::alchemy_nft_activity_body("whevt_2", "ARB_MAINNET", logs)},
      {"quicknode", ct::quicknode_logs_body("arbitrum-mainnet", logs)},
      {"moralis", ct::moralis_body(true, logs)},
  };
  int n = 0;
  for (const Case& c : cases) {
    f.submitted.clear();
    const ApiReply r = f.post(c.provider, c.body, now, "nonce-" + std::to_string(++n));
    INFO(c.provider << " " << r.body.dump() << "\n" << c.body.substr(0, 300));
    CHECK(r.status == 200);
    CHECK(r.body["hints"] == 2);
    CHECK(f.submitted.size() == 2);
  }
  // Another chain: acknowledged, ignored.
  auto other = logs;
  for (auto& l : other) l.chain_id = 1;
  f.submitted.clear();
  const ApiReply r = f.post("thirdweb", ct::thirdweb_unified_body("evt_other", other), now);
  CHECK(r.status == 200);
  CHECK(r.body["status"] == "ignored");
  CHECK(f.submitted.empty());
  const ApiReply q = f.post("quicknode", ct::quicknode_logs_body("base-mainnet", logs), now, "n-x");
  CHECK(q.body["status"] == "ignored");
  CHECK(f.submitted.empty());
}

TEST_CASE("webhook service: removed entries recheck; a full intake defers", "[webhooks]") {
  Fixture f;
  auto logs = mixed_logs();
  for (auto& l : logs) l.removed = true;
  const ApiReply r = f.post("thirdweb", ct::thirdweb_unified_body("evt_r", logs), f.now_s());
  INFO(r.body.dump());
  CHECK(r.body["rechecks"] == 2);
  REQUIRE(f.submitted.size() == 2);
  for (const auto& [tx, recheck] : f.submitted) CHECK(recheck);

  f.submitted.clear();
  f.answer_status = 429;
  const ApiReply d =
      f.post("thirdweb", ct::thirdweb_unified_body("evt_d", mixed_logs()), f.now_s());
  CHECK(d.status == 200);  // the follower finds the claims anyway; the provider must not retry
  CHECK(d.body["deferred"] == 2);
}

TEST_CASE("webhook service: a reverted re-delivery of the same entries is not a replay",
          "[webhooks]") {
  // thirdweb Insight re-delivers an event with status "reverted" under the same entry id.
  Fixture f;
  auto logs = mixed_logs();
  CHECK(f.post("thirdweb", ct::thirdweb_insight_body(logs), f.now_s()).status == 200);
  for (auto& l : logs) l.removed = true;
  f.submitted.clear();
  const ApiReply r = f.post("thirdweb", ct::thirdweb_insight_body(logs), f.now_s());
  INFO(r.body.dump());
  CHECK(r.status == 200);
  CHECK(r.body["rechecks"] == 2);
  CHECK(f.post("thirdweb", ct::thirdweb_insight_body(logs), f.now_s()).status == 409);
}

TEST_CASE("webhook service: setup deliveries are acknowledged, nothing submitted", "[webhooks]") {
  Fixture f;
  const ApiReply r = f.post("moralis", "{}", f.now_s());
  INFO(r.body.dump());
  CHECK(r.status == 200);
  CHECK(r.body["status"] == "acknowledged");
  CHECK(f.submitted.empty());
}
