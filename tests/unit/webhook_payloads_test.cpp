// Webhook payload parsers: provider-shaped fixtures (tests/fixtures/webhooks/, written by
// tests/tools/make_webhook_fixtures.py after each provider's documented example, see
// tests/fixtures/README.md) reduce to exactly the expected hints and filter verdicts;
// malformed bodies fail naming the field; setup bodies are kSetup; and every body builder
// of tests/support/webhook_bodies round-trips through its parser.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "node/webhooks/webhook_payloads.hpp"
#include "rpc/erc1155.hpp"
#include "tests/support/webhook_bodies.hpp"

using namespace claimsync;
using namespace claimsync::node;
using claimsync::testing::describe_hint;
using claimsync::testing::expected_hint;
using claimsync::testing::FixtureLog;
using nlohmann::json;

namespace {

eth::Hash32 hash(std::string_view hex) { return *eth::Hash32::parse(hex); }
eth::Address address(std::string_view hex) { return *eth::Address::parse(hex); }
eth::Hash32 word(const eth::Address& a) {
  std::array<std::uint8_t, 32> w{};
  std::copy(a.bytes().begin(), a.bytes().end(), w.begin() + 12);
  return eth::Hash32(w);
}

const eth::Address kContract = address("0x5fbdb2315678afecb367f032d93f642f64180aa3");
const eth::Address kOther = address("0xe7f1725e7734ce288f8367e1bb143e90bb3f0512");
const eth::Address kOperator = address("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
const eth::Address kAlice = address("0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
const eth::Address kBob = address("0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc");
constexpr std::uint64_t kArbitrum = 42161;

FixtureLog make_log(std::uint64_t block, std::string_view block_hash, std::string_view tx,
                    std::uint64_t tx_index, std::uint64_t log_index, const eth::Address& contract,
                    const eth::Hash32& topic0, const eth::Address& op, const eth::Address& from,
                    const eth::Address& to, bool removed = false) {
  FixtureLog log;
  log.chain_id = kArbitrum;
  log.block_number = block;
  log.block_hash = hash(block_hash);
  log.tx = hash(tx);
  log.tx_index = tx_index;
  log.log_index = log_index;
  log.address = contract;
  log.topics = {topic0, word(op), word(from), word(to)};
  log.data_hex = "0x" + std::string(63, '0') + "3" + std::string(63, '0') + "1";
  log.removed = removed;
  return log;
}

// The logical logs of tests/tools/make_webhook_fixtures.py (same hashes).
const std::map<std::string, FixtureLog>& logs() {
  static const std::map<std::string, FixtureLog> m = {
      {"single",
       make_log(250000001, "0x5f7bee30a149f75375e1aaf452f081a570118ecbe76d26017582ad362d3d8b94",
                "0x9ca1ab425a7bea601eb20670efac241a945c88c25f95380516f0c5b26b6c0110", 2, 4,
                kContract, eth::transfer_single_topic(), kOperator, eth::Address(), kAlice)},
      {"batch",
       make_log(250000002, "0x926833fd264a9aeabf003f69b8ab67d0caaf8733f6b2b1d7163d9ef318415a24",
                "0x4ea203f0a001d94b6dc3c67377b7852ed70eba23973c9fc97b2a82f76823444b", 0, 7,
                kContract, eth::transfer_batch_topic(), kOperator, eth::Address(), kBob)},
      {"not_mint",
       make_log(250000003, "0xc33f0ed192c799a73987b249888ab04eb11e619c3b9ad9ea2a962f23a03fd4fc",
                "0x63d66813dc1e6d55020f7b8e84abc6aef4759332bf42db8084f20ca066aaae5b", 5, 11,
                kContract, eth::transfer_single_topic(), kAlice, kAlice, kBob)},
      {"other_contract",
       make_log(250000004, "0x63b979e19e289613a8a87780f83e9c3e6961d362fe5b83bc24428295f308f62c",
                "0x31b8e45fe82343851ed54793d22b178fb14094dc54cce15b560efbab5ce93bc2", 1, 0, kOther,
                eth::transfer_single_topic(), kOperator, eth::Address(), kAlice)},
      {"removed",
       make_log(250000005, "0xe867835587b2899d55bfa80211a0e165cfd9c6ac50393084935d07cf772fe6dc",
                "0x6dc513aa9e1811072bbf1998b8127e13eb28477ce47c02dfc9c945aa8874f89f", 3, 2,
                kContract, eth::transfer_single_topic(), kOperator, eth::Address(), kBob,
                /*removed=*/true)},
  };
  return m;
}
const FixtureLog& L(const std::string& name) { return logs().at(name); }

std::string read_fixture(const std::string& name) {
  std::ifstream in(CLAIMSYNC_SOURCE_DIR "/tests/fixtures/webhooks/" + name + ".json");
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> described(const WebhookPayload& p) {
  std::vector<std::string> out;
  for (const WebhookHint& h : p.hints) out.push_back(describe_hint(h));
  return out;
}

const HintFilter kFilter{kArbitrum, kContract, {}};

std::vector<HintVerdict> verdicts(const WebhookPayload& p) {
  std::vector<HintVerdict> out;
  for (const WebhookHint& h : p.hints) out.push_back(filter_webhook_hint(kFilter, h));
  return out;
}

WebhookHint tx_only(const FixtureLog& log) {
  WebhookHint h;
  h.tx = log.tx;
  return h;
}

struct Case {
  std::string fixture;
  std::string provider;
  std::vector<WebhookHint> hints;
  std::vector<HintVerdict> verdicts;
  std::string delivery_id;  // "*" = not checked
};

WebhookHint ex(const std::string& mode, const std::string& network, const std::string& name) {
  return expected_hint(mode, network, L(name));
}
WebhookHint without_block_number(WebhookHint h) {
  h.block_number.reset();
  return h;
}

std::vector<Case> cases() {
  using V = HintVerdict;
  const std::string tw = "thirdweb_insight_body", al = "alchemy_nft_activity_body",
                    gq = "alchemy_graphql_body", qn = "quicknode_logs_body",
                    st = "standard_claim_hint_body", mo = "moralis_body";
  const std::string arb = "ARB_MAINNET", qarb = "arbitrum-mainnet";
  WebhookHint tw_tx = tx_only(L("single"));
  tw_tx.chain_id = kArbitrum;
  tw_tx.block_number = L("single").block_number;
  tw_tx.block_hash = L("single").block_hash;
  WebhookHint address_activity = tx_only(L("single"));
  address_activity.block_number = L("single").block_number;
  address_activity.network = arb;
  WebhookHint not_mint_tx = tx_only(L("not_mint"));
  not_mint_tx.chain_id = kArbitrum;
  WebhookHint reorged = ex(qn, qarb, "removed");  // removed by metadata, not by the log
  WebhookHint unconfirmed = ex(mo, "", "removed");
  return {
      {"thirdweb_insight_transfer_single",
       "thirdweb",
       {ex(tw, "", "single")},
       {V::kUse},
       "fa302255777cbbba273773536baa16f471afbdde263df59de6dade0188fc9369"},
      {"thirdweb_insight_transfer_batch", "thirdweb", {ex(tw, "", "batch")}, {V::kUse}, "*"},
      {"thirdweb_insight_not_mint", "thirdweb", {ex(tw, "", "not_mint")}, {V::kNotAMint}, "*"},
      {"thirdweb_insight_other_contract",
       "thirdweb",
       {ex(tw, "", "other_contract")},
       {V::kOtherContract},
       "*"},
      {"thirdweb_insight_reverted", "thirdweb", {ex(tw, "", "removed")}, {V::kUse}, "*"},
      {"thirdweb_insight_transactions", "thirdweb", {tw_tx}, {V::kUse}, "*"},
      {"thirdweb_unified_transfer_single",
       "thirdweb",
       {ex(tw, "", "single")},
       {V::kUse},
       "evt_01k3claimsync0000000000001"},
      {"alchemy_graphql_transfer_single",
       "alchemy",
       {ex(gq, arb, "single")},
       {V::kUse},
       "whevt_claimsync0001"},
      {"alchemy_graphql_transfer_batch", "alchemy", {ex(gq, arb, "batch")}, {V::kUse}, "*"},
      {"alchemy_nft_activity_transfer_single",
       "alchemy",
       {ex(al, arb, "single")},
       {V::kUse},
       "whevt_claimsync0010"},
      {"alchemy_nft_activity_transfer_batch", "alchemy", {ex(al, arb, "batch")}, {V::kUse}, "*"},
      {"alchemy_nft_activity_not_mint", "alchemy", {ex(al, arb, "not_mint")}, {V::kNotAMint}, "*"},
      {"alchemy_nft_activity_other_contract",
       "alchemy",
       {ex(al, arb, "other_contract")},
       {V::kOtherContract},
       "*"},
      {"alchemy_nft_activity_removed", "alchemy", {ex(al, arb, "removed")}, {V::kUse}, "*"},
      {"alchemy_address_activity", "alchemy", {address_activity}, {V::kUse}, "*"},
      {"quicknode_logs_transfer_single", "quicknode", {ex(qn, qarb, "single")}, {V::kUse}, ""},
      {"quicknode_logs_transfer_batch", "quicknode", {ex(qn, qarb, "batch")}, {V::kUse}, "*"},
      {"quicknode_logs_not_mint", "quicknode", {ex(qn, qarb, "not_mint")}, {V::kNotAMint}, "*"},
      {"quicknode_logs_other_contract",
       "quicknode",
       {ex(qn, qarb, "other_contract")},
       {V::kOtherContract},
       "*"},
      {"quicknode_logs_removed", "quicknode", {ex(qn, qarb, "removed")}, {V::kUse}, "*"},
      {"quicknode_logs_blocks_reorged", "quicknode", {reorged}, {V::kUse}, "*"},
      {"quicknode_receipts",
       "quicknode",
       {ex(qn, qarb, "single"), ex(qn, qarb, "batch")},
       {V::kUse, V::kUse},
       "*"},
      {"quicknode_bare_array",
       "quicknode",
       {ex(qn, "", "single"), ex(qn, "", "batch")},
       {V::kUse, V::kUse},
       "*"},
      {"standard_claim_hint_transfer_single",
       "standard",
       {without_block_number(ex(st, "", "single"))},
       {V::kUse},
       ""},
      {"standard_claim_hint_list",
       "standard",
       {without_block_number(ex(st, "", "batch")),
        without_block_number(ex(st, "", "other_contract")), not_mint_tx},
       {V::kUse, V::kOtherContract, V::kUse},
       "*"},
      {"standard_claim_hint_removed",
       "standard",
       {without_block_number(ex(st, "", "removed"))},
       {V::kUse},
       "*"},
      {"standard_insight_relay",
       "standard",
       {ex(tw, "", "not_mint"), ex(tw, "", "removed")},
       {V::kNotAMint, V::kUse},
       "*"},
      {"moralis_transfer_single", "moralis", {ex(mo, "", "single")}, {V::kUse}, ""},
      {"moralis_transfer_batch", "moralis", {ex(mo, "", "batch")}, {V::kUse}, "*"},
      {"moralis_not_mint", "moralis", {ex(mo, "", "not_mint")}, {V::kNotAMint}, "*"},
      {"moralis_other_contract",
       "moralis",
       {ex(mo, "", "other_contract")},
       {V::kOtherContract},
       "*"},
      {"moralis_unconfirmed", "moralis", {unconfirmed}, {V::kUse}, "*"},
  };
}

std::vector<std::string> described(const std::vector<WebhookHint>& hints) {
  std::vector<std::string> out;
  for (const WebhookHint& h : hints) out.push_back(describe_hint(h));
  return out;
}

Status parse_error(std::string_view provider, const std::string& body) {
  auto r = parse_webhook_payload(provider, body);
  if (r.ok()) return Status::ok_status();
  return r.status();
}

// Expects kInvalidArgument naming `field`.
void require_rejected(std::string_view provider, const std::string& body,
                      const std::string& field) {
  INFO(provider << ": " << body.substr(0, 300));
  const Status st = parse_error(provider, body);
  REQUIRE_FALSE(st.ok());
  CHECK(st.code() == ErrorCode::kInvalidArgument);
  CHECK_THAT(st.message(), Catch::Contains(field));
}

}  // namespace

TEST_CASE("each provider fixture parses to exactly the expected hints and verdicts") {
  // The fixtures really hold the cases they are named for.
  REQUIRE(L("not_mint").topics[2] == word(kAlice));
  REQUIRE(L("other_contract").address == kOther);
  for (const Case& c : cases()) {
    SECTION(c.fixture) {
      auto p = parse_webhook_payload(c.provider, read_fixture(c.fixture));
      REQUIRE(p.ok());
      CHECK(p->kind == WebhookPayload::Kind::kEvents);
      CHECK(described(*p) == described(c.hints));
      CHECK(verdicts(*p) == c.verdicts);
      if (c.delivery_id != "*") CHECK(p->delivery_id == c.delivery_id);
    }
  }
}

TEST_CASE("removed/reverted entries are flagged and only those") {
  auto tw = parse_thirdweb_webhook(read_fixture("thirdweb_insight_reverted"));
  REQUIRE(tw.ok());
  REQUIRE(tw->hints.size() == 1);
  CHECK(tw->hints[0].removed);
  auto al = parse_alchemy_webhook(read_fixture("alchemy_nft_activity_removed"));
  REQUIRE(al.ok());
  CHECK(al->hints.at(0).removed);
  auto qn = parse_quicknode_webhook(read_fixture("quicknode_logs_blocks_reorged"));
  REQUIRE(qn.ok());
  CHECK(qn->hints.at(0).removed);
  auto st = parse_standard_webhook(read_fixture("standard_insight_relay"));
  REQUIRE(st.ok());
  REQUIRE(st->hints.size() == 2);
  CHECK_FALSE(st->hints[0].removed);
  CHECK(st->hints[1].removed);
  for (const char* name : {"thirdweb_insight_transfer_single", "quicknode_logs_transfer_single",
                           "alchemy_nft_activity_transfer_single"}) {
    auto p = parse_webhook_payload(std::string(name).substr(0, std::string(name).find('_')),
                                   read_fixture(name));
    REQUIRE(p.ok());
    CHECK_FALSE(p->hints.at(0).removed);
  }
}

TEST_CASE("the from-check and topic0-check decide kNotAMint") {
  auto p = parse_thirdweb_webhook(read_fixture("thirdweb_insight_not_mint"));
  REQUIRE(p.ok());
  REQUIRE(p->hints.at(0).from == kAlice);
  WebhookHint h = p->hints[0];
  CHECK(filter_webhook_hint(kFilter, h) == HintVerdict::kNotAMint);
  h.from = eth::Address();
  CHECK(filter_webhook_hint(kFilter, h) == HintVerdict::kUse);
  h.topic0 = hash("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
  CHECK(filter_webhook_hint(kFilter, h) == HintVerdict::kNotAMint);
  h.topic0 = eth::transfer_batch_topic();
  CHECK(filter_webhook_hint(kFilter, h) == HintVerdict::kUse);
}

TEST_CASE("filter: chain by id, by network table, by configured networks; unnamed passes") {
  WebhookHint h;
  h.tx = L("single").tx;
  CHECK(filter_webhook_hint(kFilter, h) == HintVerdict::kUse);  // names nothing
  h.chain_id = 1;
  CHECK(filter_webhook_hint(kFilter, h) == HintVerdict::kOtherChain);
  h.chain_id = kArbitrum;
  CHECK(filter_webhook_hint(kFilter, h) == HintVerdict::kUse);
  h.chain_id.reset();
  h.network = "ETH_MAINNET";
  CHECK(filter_webhook_hint(kFilter, h) == HintVerdict::kOtherChain);
  h.network = "ARB_MAINNET";
  CHECK(filter_webhook_hint(kFilter, h) == HintVerdict::kUse);
  h.network = "arbitrum-mainnet";
  CHECK(filter_webhook_hint(kFilter, h) == HintVerdict::kUse);
  h.network = "anvil-local";
  CHECK(filter_webhook_hint(kFilter, h) == HintVerdict::kOtherChain);
  HintFilter local{31337, kContract, {"anvil-local"}};
  CHECK(filter_webhook_hint(local, h) == HintVerdict::kUse);
  h.contract = kOther;
  CHECK(filter_webhook_hint(local, h) == HintVerdict::kOtherContract);
  h.contract = kContract;
  h.from = kBob;
  CHECK(filter_webhook_hint(local, h) == HintVerdict::kNotAMint);
}

TEST_CASE("chain_id_of_network knows Alchemy and QuickNode names") {
  const std::vector<std::pair<std::string, std::uint64_t>> known = {
      {"ETH_MAINNET", 1},           {"ETH_SEPOLIA", 11155111},      {"ETH_HOLESKY", 17000},
      {"ARB_MAINNET", 42161},       {"ARB_SEPOLIA", 421614},        {"ARBNOVA_MAINNET", 42170},
      {"OPT_MAINNET", 10},          {"OPT_SEPOLIA", 11155420},      {"MATIC_MAINNET", 137},
      {"MATIC_AMOY", 80002},        {"BASE_MAINNET", 8453},         {"BASE_SEPOLIA", 84532},
      {"ethereum-mainnet", 1},      {"ethereum-sepolia", 11155111}, {"arbitrum-mainnet", 42161},
      {"arbitrum-sepolia", 421614}, {"nova-mainnet", 42170},        {"arbitrum-nova", 42170},
      {"optimism-mainnet", 10},     {"base-mainnet", 8453},         {"base-sepolia", 84532},
      {"polygon-mainnet", 137},     {"polygon-amoy", 80002},        {"bnbchain-mainnet", 56}};
  for (const auto& [name, id] : known) {
    INFO(name);
    CHECK(chain_id_of_network(name) == id);
  }
  CHECK_FALSE(chain_id_of_network("anvil-local").has_value());
  CHECK_FALSE(chain_id_of_network("").has_value());
}

TEST_CASE("setup and test deliveries are kSetup") {
  auto otp = parse_thirdweb_webhook(read_fixture("thirdweb_setup_otp"));
  REQUIRE(otp.ok());
  CHECK(otp->kind == WebhookPayload::Kind::kSetup);
  CHECK_THAT(otp->setup_note, Catch::Contains("482913"));
  for (const char* body : {R"({"code":"123456"})", R"({"verification_code":123456})",
                           R"({"type":"webhook.verification","data":{"otp":"1"}})",
                           R"({"topic":"test","timestamp":1,"data":[]})"}) {
    INFO(body);
    auto p = parse_thirdweb_webhook(body);
    REQUIRE(p.ok());
    CHECK(p->kind == WebhookPayload::Kind::kSetup);
    CHECK(p->hints.empty());
  }
  for (const char* name : {"standard_webhook_test", "standard_ping"}) {
    auto p = parse_standard_webhook(read_fixture(name));
    REQUIRE(p.ok());
    CHECK(p->kind == WebhookPayload::Kind::kSetup);
  }
  for (const std::string& body :
       {read_fixture("moralis_test"), std::string("{}"), testing::moralis_body(true, {})}) {
    INFO(body);
    auto p = parse_moralis_webhook(body);
    REQUIRE(p.ok());
    CHECK(p->kind == WebhookPayload::Kind::kSetup);
  }
  // Ordinary deliveries are not setup.
  auto events = parse_thirdweb_webhook(read_fixture("thirdweb_insight_transfer_single"));
  REQUIRE(events.ok());
  CHECK(events->kind == WebhookPayload::Kind::kEvents);
}

TEST_CASE("Alchemy event.error is a delivery with no hints and the error as note") {
  auto p = parse_alchemy_webhook(read_fixture("alchemy_error"));
  REQUIRE(p.ok());
  CHECK(p->kind == WebhookPayload::Kind::kEvents);
  CHECK(p->hints.empty());
  CHECK_THAT(p->setup_note, Catch::Contains("capacity"));
  CHECK(p->delivery_id == "whevt_claimsync0040");
}

TEST_CASE("bodies with no entries yield no hints") {
  CHECK(parse_thirdweb_webhook(R"({"topic":"v1.events","timestamp":1,"data":[]})")->hints.empty());
  CHECK(parse_quicknode_webhook(R"({"metadata":{"network":"arbitrum-mainnet"},"data":null})")
            ->hints.empty());
  CHECK(parse_quicknode_webhook("[]")->hints.empty());
  CHECK(
      parse_alchemy_webhook(
          R"({"id":"whevt_1","type":"GRAPHQL","event":{"data":{"block":{"hash":null,"logs":[]}}}})")
          ->hints.empty());
  CHECK(parse_standard_webhook(R"({"type":"claim.hint","data":[]})")->hints.empty());
}

TEST_CASE("malformed fixtures (tx hash of the wrong type) name the field") {
  require_rejected("thirdweb", read_fixture("thirdweb_malformed_tx_hash"),
                   "data[0].data.transaction_hash is not a string");
  require_rejected("alchemy", read_fixture("alchemy_malformed_tx_hash"),
                   "event.activity[0].hash is not a string");
  require_rejected("quicknode", read_fixture("quicknode_malformed_tx_hash"),
                   "data[0][0].transactionHash is not a string");
  require_rejected("standard", read_fixture("standard_malformed_tx_hash"),
                   "data[0].tx_hash is not a string");
  require_rejected("moralis", read_fixture("moralis_malformed_tx_hash"),
                   "logs[0].transactionHash is not a string");
}

TEST_CASE("malformed bodies are kInvalidArgument naming the field") {
  for (const char* provider : {"thirdweb", "alchemy", "quicknode", "standard", "moralis"}) {
    require_rejected(provider, "not json", "body is not valid JSON");
    require_rejected(provider, "{\"a\":", "body is not valid JSON");
    require_rejected(provider, "", "body is not valid JSON");
  }
  for (const char* provider : {"thirdweb", "alchemy", "standard", "moralis"}) {
    require_rejected(provider, "[1,2]", "body is not a JSON object");
  }
  const std::string tx31 = "0x" + std::string(62, 'a');
  const std::string tx = L("single").tx.hex();
  auto insight = [&](const std::string& event_fields) {
    return R"({"topic":"v1.events","data":[{"status":"new","type":"event","id":"x","data":{)" +
           event_fields + "}}]}";
  };
  // thirdweb
  require_rejected("thirdweb", insight(R"("transaction_hash":")" + tx31 + "\""),
                   "data[0].data.transaction_hash is not a 32-byte hash");
  require_rejected("thirdweb", insight(R"("chain_id":"1")"),
                   "data[0].data.transaction_hash is missing");
  require_rejected("thirdweb", insight(R"("transaction_hash":")" + tx + R"(","log_index":-1)"),
                   "data[0].data.log_index is negative");
  require_rejected("thirdweb", insight(R"("transaction_hash":")" + tx + R"(","chain_id":"-5")"),
                   "data[0].data.chain_id is negative");
  require_rejected("thirdweb", insight(R"("transaction_hash":")" + tx + R"(","block_number":1e30)"),
                   "data[0].data.block_number is not an integer");
  require_rejected(
      "thirdweb",
      insight(R"("transaction_hash":")" + tx + R"(","block_number":18446744073709551616)"),
      "data[0].data.block_number is not an integer");
  require_rejected(
      "thirdweb",
      insight(R"("transaction_hash":")" + tx + R"(","chain_id":"18446744073709551616")"),
      "data[0].data.chain_id overflows 64 bits");
  require_rejected("thirdweb", insight(R"("transaction_hash":")" + tx + R"(","chain_id":true)"),
                   "data[0].data.chain_id is not a number");
  require_rejected("thirdweb", insight(R"("transaction_hash":")" + tx + R"(","topics":"0x12")"),
                   "data[0].data.topics is not an array");
  require_rejected("thirdweb", insight(R"("transaction_hash":")" + tx + R"(","topics":["0x12"])"),
                   "data[0].data.topics[0] is not a 32-byte hash");
  require_rejected("thirdweb", insight(R"("transaction_hash":")" + tx + R"(","address":"0x12")"),
                   "data[0].data.address is not a 20-byte address");
  require_rejected("thirdweb", R"({"topic":"v1.events","data":{"a":1}})", "data is not an array");
  require_rejected("thirdweb", R"({"topic":"v1.events","data":[{"status":5,"data":{}}]})",
                   "data[0].status is not a string");
  require_rejected("thirdweb", R"({"topic":"v1.events","data":[{"type":"block","data":{}}]})",
                   "data[0].type");
  require_rejected("thirdweb", R"({"hello":1})", "topic is missing");
  // Alchemy
  require_rejected("alchemy", R"({"id":"whevt_1","event":{}})", "type is missing");
  require_rejected("alchemy", R"({"id":"whevt_1","type":"NFT_ACTIVITY"})", "event is missing");
  require_rejected("alchemy", R"({"id":"whevt_1","type":"MINED_TRANSACTION","event":{}})",
                   "type is 'MINED_TRANSACTION'");
  require_rejected("alchemy",
                   R"({"type":"NFT_ACTIVITY","event":{"activity":[{"hash":")" + tx +
                       R"(","blockNum":"0xzz"}]}})",
                   "event.activity[0].blockNum is not a hex quantity");
  require_rejected("alchemy",
                   R"({"type":"NFT_ACTIVITY","event":{"activity":[{"hash":")" + tx +
                       R"(","log":{"logIndex":"0x1","removed":"yes"}}]}})",
                   "event.activity[0].log.removed is not a boolean");
  require_rejected("alchemy",
                   R"({"type":"GRAPHQL","event":{"data":{"block":{"number":-3,"logs":[]}}}})",
                   "event.data.block.number is negative");
  require_rejected("alchemy",
                   R"({"type":"GRAPHQL","event":{"data":{"block":{"logs":[{"index":0}]}}}})",
                   "event.data.block.logs[0].transaction is missing");
  // QuickNode
  require_rejected("quicknode", R"({"metadata":{},"data":[{"transactionHash":")" + tx31 + "\"}]}",
                   "data[0].transactionHash is not a 32-byte hash");
  require_rejected(
      "quicknode",
      R"({"data":[{"transactionHash":")" + tx + R"(","logIndex":"0x10000000000000000"}]})",
      "data[0].logIndex is not a hex quantity of at most 64 bits");
  require_rejected("quicknode", R"({"metadata":{"blocks_reorged":[-1]},"data":[]})",
                   "metadata.blocks_reorged[0] is negative");
  require_rejected("quicknode", R"({"metadata":{"network":7},"data":[]})",
                   "metadata.network is not a string");
  require_rejected("quicknode", R"({"metadata":{}})", "data is missing");
  require_rejected("quicknode", "[[[1]]]", "data[0][0] is not a JSON object");
  // Standard
  require_rejected("standard", R"({"type":"claim.hint","data":{"tx_hash":")" + tx + "\"}}",
                   "data.chain_id is missing");
  require_rejected("standard",
                   R"({"type":"claim.hint","data":{"chain_id":-1,"tx_hash":")" + tx + "\"}}",
                   "data.chain_id is negative");
  require_rejected("standard",
                   R"({"type":"claim.hint","data":{"chain_id":1,"tx_hash":")" + tx31 + "\"}}",
                   "data.tx_hash is not a 32-byte hash");
  require_rejected(
      "standard",
      R"({"type":"claim.hint","data":{"chain_id":1,"tx_hash":")" + tx + R"(","removed":1}})",
      "data.removed is not a boolean");
  require_rejected("standard", R"({"type":"order.paid","data":{}})", "type is 'order.paid'");
  // Moralis
  require_rejected("moralis", R"({"chainId":"0xa4b1","block":{"number":"-7"},"logs":[{}]})",
                   "block.number is negative");
  require_rejected("moralis",
                   R"({"chainId":"0xa4b1","block":{"number":"99999999999999999999"},"logs":[]})",
                   "block.number overflows 64 bits");
  require_rejected("moralis",
                   R"({"chainId":"0xa4b1","logs":[{"transactionHash":")" + tx31 + "\"}]}",
                   "logs[0].transactionHash is not a 32-byte hash");
  require_rejected(
      "moralis",
      R"({"chainId":"0xa4b1","logs":[{"transactionHash":")" + tx + R"(","topic0":"0x1234"}]})",
      "logs[0].topic0 is not a 32-byte hash");
  require_rejected("moralis",
                   R"({"chainId":"arbitrum","logs":[{"transactionHash":")" + tx + "\"}]}",
                   "chainId is not a decimal or hex number");
}

TEST_CASE("an unknown provider is kNotFound") {
  auto r = parse_webhook_payload("zapier", "{}");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == ErrorCode::kNotFound);
}

TEST_CASE("fields claimsync does not read may hold anything") {
  struct Mutation {
    std::string provider, fixture;
    std::function<void(json&)> junk;
  };
  const json junk = json::array({nullptr, {{"x", -1}}, "0xzz", 1e300});
  const std::vector<Mutation> mutations = {
      {"thirdweb", "thirdweb_insight_transfer_single",
       [&](json& j) {
         j["timestamp"] = junk;
         j["data"][0]["data"]["decoded"] = junk;
         j["data"][0]["data"]["block_timestamp"] = "yesterday";
         j["data"][0]["data"]["data"] = 17;
         j["extra"] = junk;
       }},
      {"alchemy", "alchemy_nft_activity_transfer_single",
       [&](json& j) {
         j["webhookId"] = junk;
         j["createdAt"] = 5;
         j["event"]["activity"][0]["erc1155Metadata"] = "none";
         j["event"]["activity"][0]["category"] = junk;
         j["event"]["activity"][0]["log"]["data"] = junk;
         j["event"]["activity"][0]["log"]["transactionIndex"] = -4;
       }},
      {"alchemy", "alchemy_graphql_transfer_single",
       [&](json& j) {
         j["event"]["sequenceNumber"] = junk;
         j["event"]["data"]["block"]["timestamp"] = "soon";
         j["event"]["data"]["block"]["logs"][0]["transaction"]["from"] = 3;
         j["event"]["data"]["block"]["logs"][0]["data"] = junk;
       }},
      {"quicknode", "quicknode_logs_transfer_single",
       [&](json& j) {
         j["metadata"]["stream_id"] = junk;
         j["metadata"]["reorgs"] = "many";
         j["metadata"]["batch_start_range"] = -1;
         j["data"][0][0]["transactionIndex"] = junk;
         j["data"][0][0]["data"] = false;
       }},
      {"standard", "standard_claim_hint_transfer_single",
       [&](json& j) {
         j["timestamp"] = junk;
         j["data"]["note"] = junk;
       }},
      {"moralis", "moralis_transfer_single",
       [&](json& j) {
         j["abi"] = junk;
         j["tag"] = junk;
         j["retries"] = "x";
         j["nftApprovals"] = junk;
         j["block"]["timestamp"] = junk;
         j["logs"][0]["triggered_by"] = junk;
         j["logs"][0]["data"] = 1;
       }},
  };
  for (const Mutation& m : mutations) {
    SECTION(m.fixture) {
      const std::string original = read_fixture(m.fixture);
      json j = json::parse(original);
      m.junk(j);
      auto a = parse_webhook_payload(m.provider, original);
      auto b = parse_webhook_payload(m.provider, j.dump());
      REQUIRE(a.ok());
      REQUIRE(b.ok());
      CHECK(described(*a) == described(*b));
      CHECK_FALSE(a->hints.empty());
    }
  }
}

TEST_CASE("every body builder round-trips through its parser") {
  const std::vector<FixtureLog> all = {L("single"), L("batch"), L("not_mint"), L("other_contract"),
                                       L("removed")};
  // One block (Alchemy Custom and Moralis deliver per block): two logs of "single"'s block.
  FixtureLog second = L("batch");
  second.block_number = L("single").block_number;
  second.block_hash = L("single").block_hash;
  const std::vector<FixtureLog> one_block = {L("single"), second};

  struct Built {
    std::string builder, provider, network, body, delivery_id;
    std::vector<FixtureLog> logs;
  };
  const std::string ids = [&] {
    auto p = parse_thirdweb_webhook(testing::thirdweb_insight_body(all));
    return p.ok() ? p->delivery_id : std::string();
  }();
  const std::vector<Built> built = {
      {"thirdweb_insight_body", "thirdweb", "", testing::thirdweb_insight_body(all), ids, all},
      {"thirdweb_unified_body", "thirdweb", "", testing::thirdweb_unified_body("evt_7", all),
       "evt_7", all},
      {"alchemy_graphql_body", "alchemy", "ARB_MAINNET",
       testing::alchemy_graphql_body("whevt_g", "ARB_MAINNET", one_block), "whevt_g", one_block},
      {"alchemy_nft_activity_body", "alchemy", "ARB_MAINNET",
       testing::alchemy_nft_activity_body("whevt_n", "ARB_MAINNET", all), "whevt_n", all},
      {"quicknode_logs_body", "quicknode", "arbitrum-mainnet",
       testing::quicknode_logs_body("arbitrum-mainnet", all), "", all},
      {"standard_claim_hint_body", "standard", "", testing::standard_claim_hint_body(all), "", all},
      {"moralis_body", "moralis", "", testing::moralis_body(false, one_block), "", one_block},
  };
  for (const Built& b : built) {
    SECTION(b.builder) {
      INFO(b.body);
      auto p = parse_webhook_payload(b.provider, b.body);
      REQUIRE(p.ok());
      CHECK(p->kind == WebhookPayload::Kind::kEvents);
      std::vector<std::string> want;
      for (const FixtureLog& log : b.logs) {
        want.push_back(describe_hint(expected_hint(b.builder, b.network, log)));
      }
      CHECK(described(*p) == want);
      CHECK(p->delivery_id == b.delivery_id);
    }
  }
  // Insight entry ids are unique per log and all reach the delivery id.
  CHECK(std::count(ids.begin(), ids.end(), ',') == 4);
  // The unified body with a reverted entry keeps the flag; verdicts hold for built bodies.
  auto p = parse_thirdweb_webhook(testing::thirdweb_unified_body("evt_8", all));
  REQUIRE(p.ok());
  CHECK(verdicts(*p) == std::vector<HintVerdict>{HintVerdict::kUse, HintVerdict::kUse,
                                                 HintVerdict::kNotAMint,
                                                 HintVerdict::kOtherContract, HintVerdict::kUse});
  CHECK(p->hints.at(4).removed);
}

TEST_CASE("addresses in any case are accepted; a dirty topic2 leaves from unknown") {
  const std::string tx = L("single").tx.hex();
  // Upper-case hex digits, and mixed case that is no valid EIP-55 checksum.
  for (const char* contract : {"0x5FBDB2315678AFECB367F032D93F642F64180AA3",
                               "0x5FBDB2315678afecb367f032d93f642f64180aa3"}) {
    INFO(contract);
    auto p = parse_standard_webhook(R"({"type":"claim.hint","data":{"chain_id":42161,"tx_hash":")" +
                                    tx + R"(","contract":")" + contract + "\"}}");
    REQUIRE(p.ok());
    CHECK(p->hints.at(0).contract == kContract);
  }
  const std::string dirty = "0x" + std::string(23, '0') + "1" + kAlice.lower_hex().substr(2);
  auto p = parse_moralis_webhook(R"({"chainId":"0xa4b1","logs":[{"transactionHash":")" + tx +
                                 R"(","topic0":")" + eth::transfer_single_topic().hex() +
                                 R"(","topic1":")" + word(kOperator).hex() + R"(","topic2":")" +
                                 dirty + R"("}]})");
  REQUIRE(p.ok());
  CHECK(p->hints.at(0).topic0 == eth::transfer_single_topic());
  CHECK_FALSE(p->hints.at(0).from.has_value());
  CHECK(p->hints.at(0).chain_id == kArbitrum);
}
