// Provider webhooks against a real `claimsync run` (issue 13): for every provider, a signed
// delivery built from the chain's own logs (a TransferSingle mint, a TransferBatch mint, a
// plain transfer, another contract's mint) ingests exactly the chain's claims, and nothing
// else, long before the follower reaches the blocks; forged, stale, replayed, truncated and
// re-encoded deliveries are refused and change nothing; a "removed" entry only makes the
// node look again. Standard Webhooks deliveries are signed by npm `standardwebhooks`.
#include <catch2/catch.hpp>

#include <httplib.h>
#include <zlib.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <set>

#include "node/webhooks/webhook_scheme.hpp"
#include "node/webhooks/webhook_verifier.hpp"
#include "tests/support/anvil.hpp"
#include "tests/support/guarantee_node.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sqlite_scalar.hpp"
#include "tests/support/webhook_bodies.hpp"

namespace ct = claimsync::testing;
namespace node = claimsync::node;
namespace eth = claimsync::eth;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

// Secrets, as each provider hands them out (Standard: whsec_ + base64 of 24 bytes).
const std::map<std::string, std::string> kSecrets = {
    {"thirdweb", "whsecret_test_thirdweb_0123456789"},
    {"alchemy", "whsec_alchemy_signing_key_abcdef"},
    {"quicknode", "qn_security_token_0123456789abcdef"},
    {"standard", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
    {"moralis", "moralis_streams_secret_42"},
};
const char* kNetwork = "ANVIL_LOCAL";  // webhooks.<p>.network for the anvil chain

std::string env_name(const std::string& provider) {
  return "CLAIMSYNC_TEST_" + provider + "_SECRET";
}

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// The receipt's logs as the body builders take them.
std::vector<ct::FixtureLog> logs_of(ct::Anvil& chain, const std::string& tx) {
  return ct::fixture_logs_of_receipt(chain.chain_id(), chain.wait_receipt(tx));
}

std::string gzip(const std::string& in) {
  z_stream s{};
  REQUIRE(deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                       Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&s, in.size()) + 32, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&s, Z_FINISH) == Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

struct Delivery {
  std::string provider;
  std::string body;
  httplib::Headers headers;
};

// Signs `body` as `provider` would (the scheme table's row, our signer), at `ts`.
Delivery signed_delivery(const std::string& provider, const std::string& body, std::int64_t ts,
                         const std::string& id, bool thirdweb_unified = false,
                         const std::string& secret = "") {
  const auto scheme = node::select_webhook_scheme(provider, [&](std::string_view h) {
    return provider != "thirdweb" || thirdweb_unified || h != "x-webhook-timestamp";
  });
  REQUIRE(scheme);
  Delivery d{provider, body, {}};
  const std::string t = std::to_string(ts);
  d.headers.emplace(std::string(scheme->signature_header),
                    node::sign_webhook_delivery(
                        *scheme, secret.empty() ? kSecrets.at(provider) : secret, id, t, body));
  if (!scheme->timestamp_header.empty())
    d.headers.emplace(std::string(scheme->timestamp_header), t);
  if (!scheme->id_header.empty()) d.headers.emplace(std::string(scheme->id_header), id);
  if (provider == "thirdweb") d.headers.emplace("x-webhook-id", "wh_config_1");
  return d;
}

struct World {
  ct::Anvil chain;  // auto-mining: one block per transaction
  std::string nft = chain.deploy_claim_nft();
  std::string other_nft = chain.deploy_claim_nft();
  ct::TempDir dir{"claimsync-webhook-node"};
  unsigned short api_port = ct::free_loopback_port();
  std::string sink_db = dir.file("sink.db");
  std::unique_ptr<ct::NodeUnderTest> node;

  World() {
    for (const auto& [p, secret] : kSecrets) ::setenv(env_name(p).c_str(), secret.c_str(), 1);
    ct::GuaranteeNodeConfig config;
    config.rpc_url = chain.url();
    config.chain_id = chain.chain_id();
    config.contract = nft;
    config.start_block = 0;
    config.confirmations = 100'000;  // the follower never reaches the mints: only hints do
    config.poll_interval_ms = 100;
    config.data_dir = dir.file("data");
    config.sink_url = "sqlite://" + sink_db;
    const std::string path = dir.file("claimsync.toml");
    std::ofstream toml(path);
    toml << ct::render_node_config(config) << "\n[api]\nenabled = true\n"
         << "listen = \"127.0.0.1:" << api_port << "\"\n"
         << "\n[intake]\nrecheck_ms = 50\nwatch_s = 2\n";
    for (const auto& [p, secret] : kSecrets) {
      toml << "\n[webhooks." << p << "]\nsecret_env = \"" << env_name(p) << "\"\nnetwork = \""
           << kNetwork << "\"\n";
    }
    toml.close();
    node = std::make_unique<ct::NodeUnderTest>(CLAIMSYNC_BINARY, path, dir.file("node.log"),
                                               dir.path());
    node->start();
    REQUIRE(ct::wait_until([&] { return get("/healthz").first == 200; }, milliseconds(30'000),
                           milliseconds(100)));
  }

  std::pair<int, json> get(const std::string& path) const {
    httplib::Client c("127.0.0.1", api_port);
    c.set_connection_timeout(2, 0);
    c.set_read_timeout(5, 0);
    auto r = c.Get(path.c_str());
    if (!r) return {-1, json()};
    return {r->status, json::parse(r->body, nullptr, false)};
  }

  std::pair<int, json> post(const Delivery& d, bool gzip_body = false) const {
    httplib::Client c("127.0.0.1", api_port);
    c.set_connection_timeout(2, 0);
    c.set_read_timeout(5, 0);
    httplib::Headers h = d.headers;
    std::string body = d.body;
    if (gzip_body) {
      body = gzip(body);
      h.emplace("Content-Encoding", "gzip");
    }
    auto r = c.Post(("/v1/webhooks/" + d.provider).c_str(), h, body, "application/json");
    if (!r) return {-1, json()};
    return {r->status, json::parse(r->body, nullptr, false)};
  }

  // The node's claims of `tx` (GET /v1/claims/{tx}); empty when it holds none.
  json claims_of(const std::string& tx) const {
    auto [status, body] = get("/v1/claims/" + tx);
    return status == 200 ? body.at("claims") : json::array();
  }
  std::int64_t membership_rows() const {
    return ct::sqlite_scalar(sink_db, "SELECT COUNT(*) FROM membership");
  }
};

// The txs one provider's accepted path is checked on: a TransferSingle mint, a
// TransferBatch mint (2 levels), and two that must not become claims.
struct ProviderTxs {
  std::string single, batch, transfer, other_contract;
  std::vector<ct::FixtureLog> logs;  // all of their logs, in that order
};

ProviderTxs mint_for(World& w, std::size_t k) {
  ProviderTxs t;
  const std::string wallet = w.chain.account(1 + k % 8);
  const std::string buyer = w.chain.account(9);
  t.single = w.chain.mint(w.nft, wallet, 1, 1);
  t.batch = w.chain.mint_batch(w.nft, wallet, {2, 3}, {1, 1});
  t.transfer = w.chain.transfer(w.nft, 1 + k % 8, buyer, 1, 1);
  t.other_contract = w.chain.mint(w.other_nft, wallet, 1, 1);
  for (const std::string& tx : {t.single, t.batch, t.transfer, t.other_contract}) {
    auto l = logs_of(w.chain, tx);
    t.logs.insert(t.logs.end(), l.begin(), l.end());
  }
  return t;
}

// The deliveries a provider would send about `logs`: one, or one per block for the
// shapes that carry a single block (Alchemy Custom, Moralis).
std::vector<std::string> bodies_for(const std::string& variant,
                                    const std::vector<ct::FixtureLog>& logs,
                                    const std::string& id) {
  if (variant == "alchemy-graphql" || variant == "moralis") {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < logs.size();) {
      std::vector<ct::FixtureLog> block;
      const std::uint64_t b = logs[i].block_number;
      for (; i < logs.size() && logs[i].block_number == b; ++i) block.push_back(logs[i]);
      const std::string part = id + "_" + std::to_string(out.size());
      out.push_back(variant == "moralis" ? ct::moralis_body(true, block)
                                         : ct::alchemy_graphql_body(part, kNetwork, block));
    }
    return out;
  }
  if (variant == "thirdweb-insight") return {ct::thirdweb_insight_body(logs)};
  if (variant == "thirdweb-unified") return {ct::thirdweb_unified_body(id, logs)};
  if (variant == "alchemy-nft") return {ct::alchemy_nft_activity_body(id, kNetwork, logs)};
  if (variant == "quicknode") return {ct::quicknode_logs_body(kNetwork, logs)};
  if (variant == "standard") return {ct::standard_claim_hint_body(logs)};
  FAIL("unknown variant " << variant);
  return {};
}

std::string provider_of(const std::string& variant) { return variant.substr(0, variant.find('-')); }

std::int64_t now_s() { return static_cast<std::int64_t>(std::time(nullptr)); }

// Headers for standard deliveries from npm standardwebhooks.
httplib::Headers standardwebhooks_headers(const std::string& id, std::int64_t ts,
                                          const std::string& body) {
  std::string node_path = ct::source_dir() + "/tools/node_modules";
  ct::SpawnOptions opts;
  opts.env["NODE_PATH"] = node_path;
  const json request = json::array(
      {{{"secret", kSecrets.at("standard")}, {"id", id}, {"timestamp", ts}, {"body", body}}});
  auto r = ct::run_command(
      {"node", ct::source_dir() + "/tests/tools/standardwebhooks_sign.cjs", request.dump()},
      milliseconds(60'000), opts);
  INFO(r.output << "\nstandardwebhooks missing? run scripts/setup (tools/package.json)");
  REQUIRE(r.exit_code == 0);
  const json h = json::parse(r.output).at(0);
  httplib::Headers out;
  for (const auto& [k, v] : h.items()) out.emplace(k, v.get<std::string>());
  return out;
}

}  // namespace

TEST_CASE(
    "claimsync run: each provider's signed delivery ingests exactly the chain's claims; "
    "forged, stale, replayed, truncated and re-encoded ones change nothing",
    "[webhooks]") {
  World w;
  const std::vector<std::string> variants = {
      "thirdweb-insight", "thirdweb-unified", "alchemy-graphql", "alchemy-nft",
      "quicknode",        "standard",         "moralis"};
  std::map<std::string, ProviderTxs> txs;
  for (std::size_t k = 0; k < variants.size(); ++k) txs[variants[k]] = mint_for(w, k);
  // A mint only ever sent in refused deliveries: it must never become a claim.
  const std::string refused_tx = w.chain.mint(w.nft, w.chain.account(5), 4, 1);
  const auto refused_logs = logs_of(w.chain, refused_tx);

  // 1. Refused deliveries first (so nothing of theirs could hide behind a later accept).
  const std::int64_t now = now_s();
  for (const std::string& variant : variants) {
    const std::string provider = provider_of(variant);
    const bool unified = variant == "thirdweb-unified";
    const std::string id = "evt_refused_" + variant;
    const std::string body = bodies_for(variant, refused_logs, id).at(0);
    INFO(variant);
    Delivery good = signed_delivery(provider, body, now, id, unified);

    // The signature of another secret (whsec_ + base64 for Standard).
    const Delivery forged =
        signed_delivery(provider, body, now, id, unified, "whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB");
    CHECK(w.post(forged).first == 401);
    Delivery missing = good;  // no signature at all
    for (auto it = missing.headers.begin(); it != missing.headers.end();) {
      const std::string k = lower(it->first);
      it = (k.find("signature") != std::string::npos) ? missing.headers.erase(it) : std::next(it);
    }
    CHECK(w.post(missing).first == 401);
    Delivery truncated = good;
    truncated.body = body.substr(0, body.size() / 2);
    CHECK(w.post(truncated).first == 401);
    Delivery reencoded = good;  // the same JSON, serialised again: other bytes
    reencoded.body = json::parse(body).dump(2);
    REQUIRE(reencoded.body != body);
    CHECK(w.post(reencoded).first == 401);
    if (provider == "thirdweb" && !unified) continue;  // no timestamp in this scheme
    if (provider == "alchemy" || provider == "moralis") continue;
    const std::int64_t tolerance = unified ? 600 : 300;
    CHECK(w.post(signed_delivery(provider, body, now - tolerance - 30, id, unified)).first == 401);
    CHECK(w.post(signed_delivery(provider, body, now + tolerance + 30, id, unified)).first == 401);
  }
  CHECK(w.claims_of(refused_tx).empty());

  // 2. Each provider's accepted path.
  for (const std::string& variant : variants) {
    const std::string provider = provider_of(variant);
    const ProviderTxs& t = txs[variant];
    const std::string id = "evt_ok_" + variant;
    std::int64_t hints = 0, ignored = 0;
    std::size_t part = 0;
    for (const std::string& body : bodies_for(variant, t.logs, id)) {
      INFO(variant << " " << body.substr(0, 400));
      const std::string part_id = id + "_" + std::to_string(part++);
      std::pair<int, json> answer;
      if (variant == "standard") {
        Delivery d{provider, body, standardwebhooks_headers("msg_" + part_id, now_s(), body)};
        answer = w.post(d);
      } else {
        answer =
            w.post(signed_delivery(provider, body, now_s(), part_id, variant == "thirdweb-unified"),
                   variant == "quicknode");
      }
      INFO(answer.second.dump());
      REQUIRE(answer.first == 200);
      const std::string status = answer.second.at("status");
      CHECK((status == "accepted" || status == "ignored"));
      hints += answer.second.at("hints").get<std::int64_t>();
      ignored += answer.second.at("ignored").get<std::int64_t>();
    }
    INFO(variant);
    // The single and the batch mint; a Standard hint carries no topics, so its plain
    // transfer is a hint too (the intake then finds no mint in it).
    CHECK(hints == (variant == "standard" ? 3 : 2));
    CHECK(ignored >= (variant == "standard" ? 1 : 2));
  }
  // The claims appear (hint-verified on chain), the others never do.
  for (const std::string& variant : variants) {
    const ProviderTxs& t = txs[variant];
    INFO(variant << "\n" << w.node->log_tail(30));
    json single, batch;
    REQUIRE(ct::wait_until(
        [&] {
          single = w.claims_of(t.single);
          batch = w.claims_of(t.batch);
          return single.size() == 1 && batch.size() == 2;
        },
        milliseconds(20'000), milliseconds(50)));
    CHECK(single[0].at("sources") == "webhook");
    CHECK(w.claims_of(t.transfer).empty());
    CHECK(w.claims_of(t.other_contract).empty());
  }
  // Exactly these claims reached the membership database: 3 per provider variant.
  const std::int64_t expected = static_cast<std::int64_t>(variants.size()) * 3;
  CHECK(ct::wait_until([&] { return w.membership_rows() == expected; }, milliseconds(20'000)));
  CHECK(w.claims_of(refused_tx).empty());

  // 3. A replay of an accepted delivery is refused; a "removed" entry only re-verifies.
  {
    const std::string variant = "thirdweb-unified";
    const ProviderTxs& t = txs[variant];
    const std::string id = "evt_ok_" + variant;
    const std::string body = bodies_for(variant, t.logs, id).at(0);
    auto replay = w.post(signed_delivery("thirdweb", body, now_s(), id, true));
    CHECK(replay.first == 409);
    std::vector<ct::FixtureLog> removed = logs_of(w.chain, t.single);
    for (auto& l : removed) l.removed = true;
    const std::string rbody = ct::thirdweb_unified_body("evt_removed", removed);
    auto r = w.post(signed_delivery("thirdweb", rbody, now_s(), "evt_removed", true));
    INFO(r.second.dump());
    CHECK(r.first == 200);
    CHECK(r.second.at("rechecks") == 1);
    // Nothing is deleted: the claim (still on chain) stays, and so do the rows.
    CHECK(w.claims_of(t.single).size() == 1);
    CHECK(w.membership_rows() == expected);
  }

  // 4. Setup/test POSTs are acknowledged; an unconfigured provider is 404.
  {
    auto setup = w.post(signed_delivery("moralis", "{}", now_s(), ""));
    INFO(setup.second.dump());
    CHECK(setup.first == 200);
    CHECK(setup.second.at("status") == "acknowledged");
    Delivery unknown{"nosuchprovider", "{}", {}};
    CHECK(w.post(unknown).first == 404);
  }

  // 5. The metrics count each result.
  auto [ms, _] = w.get("/healthz");
  CHECK(ms == 200);
  httplib::Client c("127.0.0.1", w.api_port);
  auto m = c.Get("/metrics");
  REQUIRE(m);
  CHECK(
      m->body.find("claimsync_webhook_requests_total{provider=\"thirdweb\",result=\"accepted\"}") !=
      std::string::npos);
  CHECK(m->body.find(
            "claimsync_webhook_requests_total{provider=\"alchemy\",result=\"bad_signature\"}") !=
        std::string::npos);
  CHECK(m->body.find("claimsync_webhook_requests_total{provider=\"quicknode\",result=\"stale\"}") !=
        std::string::npos);
  CHECK(m->body.find(
            "claimsync_webhook_requests_total{provider=\"thirdweb\",result=\"duplicate\"}") !=
        std::string::npos);
}

TEST_CASE("claimsync run: a webhook provider without its secret variable is 404", "[webhooks]") {
  ct::Anvil chain;
  const std::string nft = chain.deploy_claim_nft();
  ct::TempDir dir{"claimsync-webhook-off"};
  const unsigned short port = ct::free_loopback_port();
  ::unsetenv("CLAIMSYNC_ALCHEMY_WEBHOOK_SECRET");
  ct::GuaranteeNodeConfig config;
  config.rpc_url = chain.url();
  config.chain_id = chain.chain_id();
  config.contract = nft;
  config.data_dir = dir.file("data");
  config.sink_url = "sqlite://" + dir.file("sink.db");
  const std::string path = dir.file("claimsync.toml");
  std::ofstream(path) << ct::render_node_config(config) << "\n[api]\nenabled = true\n"
                      << "listen = \"127.0.0.1:" << port << "\"\n";
  ct::NodeUnderTest n(CLAIMSYNC_BINARY, path, dir.file("node.log"), dir.path());
  n.start();
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2, 0);
  REQUIRE(ct::wait_until([&] { return static_cast<bool>(c.Get("/healthz")); }, milliseconds(30'000),
                         milliseconds(100)));
  auto r = c.Post("/v1/webhooks/alchemy", "{}", "application/json");
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(n.log_tail(200).find("event=webhook") == std::string::npos);  // nothing logged
}
