// The HTTP API in-process on 127.0.0.1 (port 0) over a real RocksDB store, with fake
// intake / status / rescan services: every route's status code, hostile input over
// httplib::Client and raw sockets, admin auth, CORS, rate limits, slow clients, floods.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <httplib.h>
#include <zlib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "node/api/http_server.hpp"
#include "node/status_report.hpp"
#include "storage/node_store.hpp"
#include "tests/support/process.hpp"

namespace ct = claimsync::testing;
using namespace claimsync;
using namespace claimsync::node;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

constexpr std::uint64_t kChain = 31337;
const char* kToken = "admin-token-123";
const char* kJson = "application/json";

eth::Hash32 tx_hash(std::uint8_t b) {
  std::string hex = "0x";
  for (int i = 0; i < 32; ++i) hex += "0123456789abcdef"[b >> 4], hex += "0123456789abcdef"[b & 15];
  return eth::Hash32::parse(hex).value();
}
eth::Address wallet(std::uint8_t b) {
  std::string hex = "0x";
  for (int i = 0; i < 20; ++i) hex += "0123456789abcdef"[b >> 4], hex += "0123456789abcdef"[b & 15];
  return eth::Address::parse(hex).value();
}

// Records every body it is handed; answers 400 unless the body looks like a hint.
class FakeIntake final : public ClaimIntake {
 public:
  ApiReply submit(const json& body) override {
    std::lock_guard<std::mutex> lock(mu_);
    bodies_.push_back(body);
    if (!body.is_object() || !body.contains("tx_hash") || !body["tx_hash"].is_string())
      return api_error(400, "invalid_request", "tx_hash must be a string");
    return {202, {{"status", "verifying"}}, {}};
  }
  std::size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_.size();
  }

 private:
  std::mutex mu_;
  std::vector<json> bodies_;
};

struct Harness {
  ct::TempDir dir{"api-server-test"};
  std::unique_ptr<store::NodeStore> store;
  FakeIntake intake;
  std::atomic<int> wakes{0};
  std::atomic<int> rescans{0};
  std::atomic<int> reconciles{0};
  std::atomic<bool> hold_reconcile{false};  // a reconcile at "7" waits while this is true
  StatusReport status;
  std::mutex status_mu;
  std::unique_ptr<HttpServer> server;
  store::ClaimKey done_key, dead_key;

  explicit Harness(ApiConfig config = base_config(), bool with_metrics = true) {
    auto opened = store::NodeStore::open(dir.path(), {kChain, wallet(0xcc), 0});
    REQUIRE(opened.ok());
    store = std::move(*opened);
    done_key = add_claim(tx_hash(0x11), 0, wallet(0xaa), 3);
    REQUIRE(store->mark_replicated({done_key}, 1).ok());
    dead_key = add_claim(tx_hash(0x22), 1, wallet(0xaa), 5);
    REQUIRE(store->mark_failed(dead_key, "boom", 0, 1, 1).value() == store::ClaimState::kDead);
    status = store_status(*store, 1);
    status.running = true;
    status.target = 10;
    status.checkpoint = 10;
    ApiServices s;
    s.store = store.get();
    s.chain_id = kChain;
    s.intake = &intake;
    s.status = [this] {
      std::lock_guard<std::mutex> lock(status_mu);
      return status.to_json();
    };
    if (with_metrics) s.metrics_text = [] { return std::string("claimsync_up 1\n"); };
    s.rescan = [this](const RescanOptions& o) -> Result<RescanReport> {
      ++rescans;
      if (o.to > 1000) return error(ErrorCode::kInvalidArgument, "to is above the target");
      RescanReport r;
      r.from = o.from;
      r.to = o.to;
      return r;
    };
    s.reconcile = [this](const std::string& at, std::size_t samples) -> std::optional<json> {
      ++reconciles;
      if (at == "7")
        ct::wait_until([this] { return !hold_reconcile.load(); }, milliseconds(10'000));
      return std::optional<json>(std::in_place,
                                 json{{"result", "consistent"}, {"at", at}, {"samples", samples}});
    };
    s.wake_replicator = [this] { ++wakes; };
    s.now_ms = [] { return std::int64_t{1'000}; };
    server = std::make_unique<HttpServer>(config, std::move(s));
    REQUIRE(server->start().ok());
    REQUIRE(server->port() > 0);
  }

  static ApiConfig base_config() {
    ApiConfig c;
    c.listen = "127.0.0.1:0";
    c.admin_token = kToken;
    c.cors_origins = {"https://app.example"};
    c.rate_limit_per_s = 0;  // off unless a test turns it on
    c.read_timeout_ms = 500;
    c.write_timeout_ms = 500;
    c.max_body_bytes = 16384;  // room for the 10k-deep body
    return c;
  }

  store::ClaimKey add_claim(const eth::Hash32& tx, std::uint32_t log, const eth::Address& w,
                            std::uint32_t level) {
    store::Claim c;
    c.key = {kChain, tx, log, 0};
    c.wallet = w;
    c.level = level;
    c.amount = eth::U256(1);
    c.block_number = 5;
    c.sources = store::kSourceScan;
    REQUIRE(store->ingest(c, 1).ok());
    return c.key;
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", server->port());
    c.set_connection_timeout(2);
    c.set_read_timeout(5);
    return c;
  }
  store::ClaimState state_of(const store::ClaimKey& k) const { return store->get(k)->state; }
};

std::string code_of(const httplib::Result& r) {
  return json::parse(r->body).at("error").at("code").get<std::string>();
}

// A loopback connection to `port` that has sent `bytes` (the caller closes it); -1 on
// failure. Reads time out after `wait`.
int connect_and_send(int port, const std::string& bytes, milliseconds wait) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{static_cast<time_t>(wait.count() / 1000),
             static_cast<suseconds_t>((wait.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  return fd;
}

// Sends `bytes` on a fresh loopback connection and reads until the server closes or
// `wait` passes. Returns what was read ("" on connect failure).
std::string raw_exchange(int port, const std::string& bytes,
                         milliseconds wait = milliseconds(3000)) {
  const int fd = connect_and_send(port, bytes, wait);
  if (fd < 0) return "";
  std::string out;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

int status_line_code(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return -1;
  return std::stoi(response.substr(9, 3));
}

std::string post_raw(const std::string& path, const std::string& body,
                     const std::string& content_type = kJson) {
  return "POST " + path +
         " HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("api: health, status, readiness, metrics", "[api]") {
  Harness h;
  auto c = h.client();
  auto r = c.Get("/healthz");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body) == json{{"status", "ok"}});
  r = c.Get("/v1/status");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body) == h.status.to_json());
  r = c.Get("/readyz");  // one dead claim: not ready
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(json::parse(r->body).at("ready") == false);
  CHECK(r->body.find("1 dead claims") != std::string::npos);
  {
    std::lock_guard<std::mutex> lock(h.status_mu);
    h.status.counters = {};
  }
  r = c.Get("/readyz");
  REQUIRE(r);
  CHECK(r->status == 200);
  r = c.Get("/metrics");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(r->body == "claimsync_up 1\n");

  Harness no_metrics(Harness::base_config(), false);
  auto r2 = no_metrics.client().Get("/metrics");
  REQUIRE(r2);
  CHECK(r2->status == 404);
  CHECK(code_of(r2) == "not_found");
}

TEST_CASE("api: claim and wallet reads from the store", "[api]") {
  Harness h;
  auto c = h.client();
  auto r = c.Get(("/v1/claims/" + tx_hash(0x11).hex()).c_str());
  REQUIRE(r);
  REQUIRE(r->status == 200);
  json j = json::parse(r->body);
  REQUIRE(j.at("claims").size() == 1);
  const json& claim = j["claims"][0];
  CHECK(claim.at("key") == h.done_key.to_string());
  CHECK(claim.at("state") == "done");
  CHECK(claim.at("wallet") == wallet(0xaa).lower_hex());
  CHECK(claim.at("level") == 3);
  CHECK(claim.at("amount") == "1");
  CHECK(claim.at("block_number") == 5);
  CHECK(claim.at("sources") == "scan");
  CHECK(claim.at("referrer").is_null());
  CHECK(claim.at("log_index") == 0);
  CHECK(claim.at("batch_index") == 0);

  r = c.Get(("/v1/claims/" + tx_hash(0x99).hex()).c_str());
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(code_of(r) == "not_found");
  for (const char* bad :
       {"/v1/claims/0x1234", "/v1/claims/nothex", "/v1/claims/'%20OR%201=1--", "/v1/claims/%FF%FE",
        "/v1/claims/0x11111111111111111111111111111111111111111111111111111111111111zz"}) {
    r = c.Get(bad);
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(code_of(r) == "invalid_tx_hash");
  }

  r = c.Get(("/v1/wallets/" + wallet(0xaa).lower_hex()).c_str());
  REQUIRE(r);
  REQUIRE(r->status == 200);
  j = json::parse(r->body);
  CHECK(j.at("current_level") == 3);
  CHECK(j.at("active") == true);
  CHECK(j.at("levels").size() == 2);
  r = c.Get(("/v1/wallets/" + wallet(0xbb).lower_hex()).c_str());
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body).at("active") == false);
  CHECK(json::parse(r->body).at("current_level").is_null());
  for (const char* bad :
       {"/v1/wallets/0x12", "/v1/wallets/1;DROP%20TABLE%20members", "/v1/wallets/%C3%28"}) {
    r = c.Get(bad);
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(code_of(r) == "invalid_address");
  }
}

TEST_CASE("api: 404, 405 with Allow, garbage request lines", "[api]") {
  Harness h;
  auto c = h.client();
  auto r = c.Get("/nope");
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(code_of(r) == "not_found");
  r = c.Post("/healthz", "{}", kJson);
  REQUIRE(r);
  CHECK(r->status == 405);
  CHECK(r->get_header_value("Allow") == "GET");
  CHECK(code_of(r) == "method_not_allowed");
  r = c.Get("/v1/claims");
  REQUIRE(r);
  CHECK(r->status == 405);
  CHECK(r->get_header_value("Allow") == "POST");
  r = c.Delete("/v1/status");
  REQUIRE(r);
  CHECK(r->status == 405);
  const std::string garbage = raw_exchange(h.server->port(), "GARBAGE\r\n\r\n");
  CHECK(status_line_code(garbage) == 400);
  CHECK(garbage.find("\"error\"") != std::string::npos);
  const std::string long_path = raw_exchange(
      h.server->port(), "GET /" + std::string(5000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(status_line_code(long_path) == 414);
  CHECK(h.client().Get("/healthz")->status == 200);
}

TEST_CASE("api: hostile POST /v1/claims bodies never reach the intake", "[api]") {
  Harness h;
  const int port = h.server->port();
  struct Case {
    std::string name, body, content_type;
    int status;
    std::string code;
  };
  const std::string hash = "\"" + tx_hash(0x33).hex() + "\"";
  const std::vector<Case> cases = {
      {"malformed", "{tx_hash: 1}", kJson, 400, "malformed_json"},
      {"truncated", "{\"tx_hash\": " + hash.substr(0, 20), kJson, 400, "malformed_json"},
      {"empty", "", kJson, 400, "malformed_json"},
      {"deep", std::string(10'000, '['), kJson, 400, "json_too_deep"},
      {"deep objects",
       [] {
         std::string s;
         for (int i = 0; i < 2000; ++i) s += "{\"a\":";
         return s;
       }(),
       kJson, 400, "json_too_deep"},
      {"huge float", "{\"tx_hash\": 1e999999}", kJson, 400, "malformed_json"},
      {"invalid utf-8", "{\"tx_hash\": \"\xff\xfe\xfd\"}", kJson, 400, "malformed_json"},
      {"overlong utf-8", "{\"tx_hash\": \"\xc0\xaf\"}", kJson, 400, "malformed_json"},
      {"wrong content type", "{\"tx_hash\": " + hash + "}", "text/plain", 415,
       "unsupported_media_type"},
      {"form content type", "tx_hash=0x33", "application/x-www-form-urlencoded", 415,
       "unsupported_media_type"},
      {"oversized", "{\"tx_hash\": \"" + std::string(20000, 'a') + "\"}", kJson, 413,
       "body_too_large"},
  };
  for (const Case& k : cases) {
    INFO(k.name);
    const std::string resp = raw_exchange(port, post_raw("/v1/claims", k.body, k.content_type));
    CHECK(status_line_code(resp) == k.status);
    const std::size_t body_at = resp.find("\r\n\r\n");
    REQUIRE(body_at != std::string::npos);
    const json j = json::parse(resp.substr(body_at + 4), nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    CHECK(j.at("error").at("code") == k.code);
  }
  CHECK(h.intake.count() == 0);
  // No Content-Type at all with a body: 415 too.
  const std::string no_ct = raw_exchange(
      port,
      "POST /v1/claims HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}");
  CHECK(status_line_code(no_ct) == 415);
  CHECK(h.intake.count() == 0);

  // The limit holds for the DECODED body too: httplib inflates gzip and reads chunked
  // bodies itself, so a small gzip "bomb" or an endless chunked body must still be 413.
  {
    const std::string inflated = "{\"tx_hash\": \"" + std::string(200'000, 'a') + "\"}";
    z_stream z{};
    REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string gz(deflateBound(&z, inflated.size()), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(inflated.data()));
    z.avail_in = static_cast<uInt>(inflated.size());
    z.next_out = reinterpret_cast<Bytef*>(gz.data());
    z.avail_out = static_cast<uInt>(gz.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    gz.resize(z.total_out);
    deflateEnd(&z);
    REQUIRE(gz.size() < 16384);  // small on the wire, large once inflated
    const std::string bomb_request =
        "POST /v1/claims HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
        "Content-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: " +
        std::to_string(gz.size()) + "\r\n\r\n" + gz;
    const std::string bomb = raw_exchange(port, bomb_request);
    CHECK(status_line_code(bomb) == 413);
    // The same through a method the route does not answer: bounded before the 405.
    std::string put = bomb_request;
    put.replace(0, 4, "PUT");
    CHECK(status_line_code(raw_exchange(port, put)) == 413);
    std::string chunked =
        "POST /v1/claims HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 40; ++i) chunked += "400\r\n" + std::string(1024, ' ') + "\r\n";
    chunked += "0\r\n\r\n";
    CHECK(status_line_code(raw_exchange(port, chunked)) == 413);
    CHECK(h.intake.count() == 0);
  }

  // Valid JSON of the wrong shape is the intake's to judge: it gets it and its answer is
  // sent back; huge numbers and SQL metacharacters are just values.
  auto c = h.client();
  const std::vector<std::string> odd = {
      "[]",
      "123",
      "null",
      "{\"tx_hash\": 12345678901234567890123456789012345678901234567890}",
      "{\"tx_hash\": [\"0x\"]}",
      "{\"tx_hash\": \"0x' OR '1'='1'; DROP TABLE members;--\"}"};
  for (const std::string& body : odd) {
    auto r = c.Post("/v1/claims", body, kJson);
    REQUIRE(r);
    CHECK(r->status == (body.find("DROP") != std::string::npos ? 202 : 400));
  }
  CHECK(h.intake.count() == odd.size());
  auto r = c.Post("/v1/claims", "{\"tx_hash\": " + hash + "}", kJson);
  REQUIRE(r);
  CHECK(r->status == 202);
  CHECK(json::parse(r->body).at("status") == "verifying");
  CHECK(h.intake.count() == odd.size() + 1);
  // The store is untouched by all of it: the server never writes on intake's behalf.
  CHECK(h.store->counters().total() == 2);
  CHECK(h.client().Get("/healthz")->status == 200);
}

TEST_CASE("api: POST /v1/claims without an intake is 503", "[api]") {
  ct::TempDir dir("api-no-intake");
  ApiServices s;
  HttpServer server(Harness::base_config(), s);
  REQUIRE(server.start().ok());
  httplib::Client c("127.0.0.1", server.port());
  auto r = c.Post("/v1/claims", "{\"tx_hash\": \"0x\"}", kJson);
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(code_of(r) == "intake_unavailable");
}

TEST_CASE("api: admin needs the bearer token and changes nothing without it", "[api]") {
  Harness h;
  auto c = h.client();
  const std::string retry_path = "/v1/admin/claims/" + h.dead_key.to_string() + "/retry";
  const std::vector<std::pair<std::string, std::string>> posts = {
      {retry_path, ""},
      {"/v1/admin/claims/retry-dead", ""},
      {"/v1/admin/rescan", R"({"from":1,"to":2})"}};
  for (const auto& [path, body] : posts) {
    INFO(path);
    auto r = c.Post(path.c_str(), body, kJson);
    REQUIRE(r);
    CHECK(r->status == 401);
    CHECK(r->get_header_value("WWW-Authenticate").rfind("Bearer", 0) == 0);
    CHECK(code_of(r) == "unauthorized");
    r = c.Post(path.c_str(), httplib::Headers{{"Authorization", "Bearer wrong-token-123"}}, body,
               kJson);
    REQUIRE(r);
    CHECK(r->status == 401);
    r = c.Post(path.c_str(), httplib::Headers{{"Authorization", "Basic YWRtaW46YWRtaW4="}}, body,
               kJson);
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  CHECK(h.state_of(h.dead_key) == store::ClaimState::kDead);
  CHECK(h.rescans == 0);
  CHECK(h.wakes == 0);

  const httplib::Headers auth = {{"Authorization", std::string("Bearer ") + kToken}};
  auto r = c.Post("/v1/admin/rescan", auth, R"({"from": 5, "to": 1})", kJson);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(code_of(r) == "invalid_range");
  r = c.Post("/v1/admin/rescan", auth, R"({"from": 0, "to": 20000})", kJson);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(code_of(r) == "range_too_large");
  r = c.Post("/v1/admin/rescan", auth, R"({"from": -1, "to": "2"})", kJson);
  REQUIRE(r);
  CHECK(r->status == 400);
  r = c.Post("/v1/admin/rescan", auth, R"({"from": 1500, "to": 1600})", kJson);
  REQUIRE(r);
  CHECK(r->status == 400);  // beyond the target (rescan_range's kInvalidArgument)
  CHECK(h.rescans == 1);
  r = c.Post("/v1/admin/rescan", auth, R"({"from": 1, "to": 9})", kJson);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body).at("to") == 9);
  CHECK(h.wakes == 1);

  r = c.Post("/v1/admin/claims/not-a-key/retry", auth, "", kJson);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(code_of(r) == "invalid_claim_key");
  r = c.Post(("/v1/admin/claims/" + h.done_key.to_string() + "/retry").c_str(), auth, "", kJson);
  REQUIRE(r);
  CHECK(r->status == 409);
  r = c.Post(retry_path.c_str(), auth, "", kJson);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(h.state_of(h.dead_key) == store::ClaimState::kPending);
  CHECK(h.wakes == 2);

  REQUIRE(h.store->mark_failed(h.dead_key, "again", 0, 1, 2).value() == store::ClaimState::kDead);
  r = c.Post("/v1/admin/claims/retry-dead", auth, "", kJson);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body).at("count") == 1);
  CHECK(h.state_of(h.dead_key) == store::ClaimState::kPending);
  CHECK(h.wakes == 3);
}

TEST_CASE("api: POST /v1/admin/reconcile: auth, fields, one at a time", "[api]") {
  Harness h;
  auto c = h.client();
  auto r = c.Post("/v1/admin/reconcile", "", kJson);
  REQUIRE(r);
  CHECK(r->status == 401);
  const httplib::Headers auth = {{"Authorization", std::string("Bearer ") + kToken}};
  for (const char* bad :
       {R"({"at": "yesterday"})", R"({"samples": -1})", R"({"other": 1})", R"([1])"}) {
    INFO(bad);
    r = c.Post("/v1/admin/reconcile", auth, bad, kJson);
    REQUIRE(r);
    CHECK(r->status == 400);
  }
  r = c.Post("/v1/admin/reconcile", auth, R"({"repair": true})", kJson);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(code_of(r) == "repair_offline");
  CHECK(h.reconciles == 0);
  r = c.Post("/v1/admin/reconcile", auth, "", kJson);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body) ==
        json{{"result", "consistent"}, {"at", "finalized"}, {"samples", 10}});
  r = c.Post("/v1/admin/reconcile", auth, R"({"at": "latest", "samples": 2})", kJson);
  REQUIRE(r);
  CHECK(json::parse(r->body).at("samples") == 2);

  // A second request while one runs is refused at once; the first still answers.
  h.hold_reconcile = true;
  std::atomic<int> first_status{0};  // Catch2 assertions stay on the test's thread
  std::thread first([&] {
    auto c1 = h.client();
    c1.set_read_timeout(15);
    auto r1 = c1.Post("/v1/admin/reconcile", auth, R"({"at": 7})", kJson);
    first_status = r1 ? r1->status : -1;
  });
  CHECK(ct::wait_until([&] { return h.reconciles.load() == 3; }, milliseconds(5'000)));
  r = c.Post("/v1/admin/reconcile", auth, "", kJson);
  REQUIRE(r);
  CHECK(r->status == 409);
  CHECK(code_of(r) == "reconcile_running");
  h.hold_reconcile = false;
  first.join();
  CHECK(first_status == 200);
  CHECK(h.reconciles == 3);
}

TEST_CASE("api: admin without a configured token is 403", "[api]") {
  ApiConfig config = Harness::base_config();
  config.admin_token.clear();
  Harness h(config);
  auto r = h.client().Post("/v1/admin/claims/retry-dead",
                           httplib::Headers{{"Authorization", "Bearer "}}, "", kJson);
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(code_of(r) == "admin_disabled");
  CHECK(h.state_of(h.dead_key) == store::ClaimState::kDead);
}

TEST_CASE("api: CORS allow-list and preflight", "[api]") {
  Harness h;
  auto c = h.client();
  auto r = c.Get("/healthz", httplib::Headers{{"Origin", "https://app.example"}});
  REQUIRE(r);
  CHECK(r->get_header_value("Access-Control-Allow-Origin") == "https://app.example");
  r = c.Get("/healthz", httplib::Headers{{"Origin", "https://evil.example"}});
  REQUIRE(r);
  CHECK_FALSE(r->has_header("Access-Control-Allow-Origin"));
  r = c.Options("/v1/claims", httplib::Headers{{"Origin", "https://app.example"},
                                               {"Access-Control-Request-Method", "POST"}});
  REQUIRE(r);
  CHECK(r->status == 204);
  CHECK(r->get_header_value("Access-Control-Allow-Origin") == "https://app.example");
  CHECK(r->get_header_value("Access-Control-Allow-Methods").find("POST") != std::string::npos);
  CHECK(r->get_header_value("Access-Control-Allow-Headers").find("Content-Type") !=
        std::string::npos);
  r = c.Options("/v1/claims", httplib::Headers{{"Origin", "https://evil.example"},
                                               {"Access-Control-Request-Method", "POST"}});
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK_FALSE(r->has_header("Access-Control-Allow-Origin"));
  r = c.Options("/nope", httplib::Headers{{"Origin", "https://app.example"}});
  REQUIRE(r);
  CHECK(r->status == 404);
}

TEST_CASE("api: per-address rate limit with Retry-After; probes exempt", "[api]") {
  ApiConfig config = Harness::base_config();
  config.rate_limit_per_s = 1;
  config.rate_limit_burst = 3;
  Harness h(config);  // now_ms is frozen: no refill during the test
  auto c = h.client();
  for (int i = 0; i < 3; ++i) CHECK(c.Get("/v1/status")->status == 200);
  auto r = c.Get("/v1/status");
  REQUIRE(r);
  CHECK(r->status == 429);
  CHECK(r->get_header_value("Retry-After") == "1");
  CHECK(code_of(r) == "rate_limited");
  CHECK(h.client().Post("/v1/claims", "{\"tx_hash\":\"0x\"}", kJson)->status == 429);
  CHECK(h.intake.count() == 0);
  CHECK(h.client().Get("/healthz")->status == 200);
  CHECK(h.client().Get("/metrics")->status == 200);
}

TEST_CASE("api: a stalled client is timed out and others are served meanwhile", "[api]") {
  Harness h;  // read_timeout_ms = 500
  const int port = h.server->port();
  std::string stalled_reply;
  std::chrono::steady_clock::duration stalled_for{};
  std::thread slow([&] {
    const auto t0 = std::chrono::steady_clock::now();
    // Headers promise 100 bytes of body; one arrives, then nothing.
    stalled_reply =
        raw_exchange(port,
                     "POST /v1/claims HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     "Content-Length: 100\r\n\r\n{",
                     milliseconds(10'000));
    stalled_for = std::chrono::steady_clock::now() - t0;
  });
  std::thread half(
      [&] { raw_exchange(port, "GET /healthz HTTP/1.1\r\nHo", milliseconds(10'000)); });
  for (int i = 0; i < 20; ++i) {
    auto r = h.client().Get("/healthz");
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  slow.join();
  half.join();
  CHECK(stalled_for < milliseconds(5'000));  // dropped after ~read_timeout_ms, not 10 s
  CHECK(status_line_code(stalled_reply) != 200);
  CHECK(h.intake.count() == 0);
  CHECK(h.client().Get("/healthz")->status == 200);
}

TEST_CASE("api: 200 connections at once each get an answer or a clean refusal", "[api]") {
  ApiConfig config = Harness::base_config();
  config.workers = 4;
  config.max_queued = 16;
  // The default read timeout: with 200 client threads on a 2-core machine a client can be
  // descheduled between connect and send for longer than the harness's 500 ms, and a
  // connection the server drops as slow gets no status line.
  config.read_timeout_ms = 5'000;
  Harness h(config);
  const int port = h.server->port();
  constexpr int kClients = 200;
  std::vector<std::string> answers(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      answers[static_cast<std::size_t>(i)] =
          raw_exchange(port, "GET /v1/status HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                       milliseconds(15'000));
    });
  }
  for (std::thread& t : threads) t.join();
  int ok = 0, refused = 0, refused_without_retry_after = 0;
  std::map<int, int> by_code;
  for (const std::string& answer : answers) {
    const int code = status_line_code(answer);
    if (code == 200) ++ok;
    if (code == 503) {
      ++refused;
      // Clients back off by it (clients/js honours Retry-After on 503 as on 429).
      if (answer.find("Retry-After: 1\r\n") == std::string::npos) ++refused_without_retry_after;
    }
    ++by_code[code];
  }
  CHECK(refused_without_retry_after == 0);
  std::string histogram;
  for (auto [code, n] : by_code) histogram += std::to_string(code) + "x" + std::to_string(n) + " ";
  INFO("ok=" << ok << " refused=" << refused << " codes: " << histogram);
  CHECK(ok + refused == kClients);
  CHECK(ok > 0);
  CHECK(h.client().Get("/healthz")->status == 200);
}

TEST_CASE("api: stop is bounded with a stalled client connected", "[api]") {
  Harness h;
  const int port = h.server->port();
  const int fd =
      connect_and_send(port, "POST /v1/claims HTTP/1.1\r\nHost: t\r\nContent-Length: 50\r\n\r\n",
                       milliseconds(10'000));
  REQUIRE(fd >= 0);
  REQUIRE(h.client().Get("/healthz")->status == 200);  // the server is serving meanwhile
  const auto t0 = std::chrono::steady_clock::now();
  h.server->stop();
  const auto took = std::chrono::steady_clock::now() - t0;
  ::close(fd);
  CHECK(took < milliseconds(3'000));
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(1);
  CHECK_FALSE(c.Get("/healthz"));
}

TEST_CASE("api: a keep-alive client is not held by Nagle and delayed ACKs", "[api]") {
  // Without TCP_NODELAY on the server's sockets each answer of a keep-alive connection
  // waited ~40 ms for the client's delayed ACK (bench/intake_bench: 44 ms p50 for
  // GET /healthz). 20 requests on one connection, median well under that.
  Harness h;
  auto c = h.client();
  c.set_keep_alive(true);
  c.set_tcp_nodelay(true);
  auto median_ms = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::vector<double> get_ms, post_ms;
  for (int i = 0; i < 20; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = c.Get("/healthz");
    get_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    REQUIRE(r);
    REQUIRE(r->status == 200);
    t0 = std::chrono::steady_clock::now();
    r = c.Post("/v1/claims", json{{"tx_hash", tx_hash(0x33).hex()}}.dump(), kJson);
    post_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    REQUIRE(r);
    REQUIRE(r->status == 202);
  }
  CHECK(median_ms(get_ms) < 20);
  CHECK(median_ms(post_ms) < 20);
}
