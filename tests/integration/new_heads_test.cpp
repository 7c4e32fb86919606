// NewHeadsSubscription against a real anvil (its WebSocket endpoint is its HTTP port),
// directly and through an in-process WebSocket fault proxy: heads of mined blocks arrive
// with their numbers and hashes; a dropped connection and a silent stall (found by the
// idle ping) both reconnect and heads flow again; another chain id is never subscribed;
// garbage is counted and logged once per kind and valid heads after it still pass; stop
// ends run() within a second whatever the session is doing.
//
// Real time (SystemClock) with short timeouts; every wait is a condition with a deadline.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "rpc/new_heads_subscription.hpp"
#include "tests/support/anvil.hpp"
#include "tests/support/process.hpp"
#include "tests/support/ws_fault_server.hpp"

using namespace claimsync;
using namespace claimsync::eth;
using claimsync::testing::Anvil;
using claimsync::testing::TempDir;
using claimsync::testing::wait_until;
using claimsync::testing::WsFaultServer;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr milliseconds kDeadline{15'000};

std::string ws_url(const Anvil& chain) { return "ws://127.0.0.1:" + std::to_string(chain.port()); }

NewHeadsOptions fast_options(std::vector<std::string> urls, std::uint64_t chain_id = 31337) {
  NewHeadsOptions o;
  o.urls = std::move(urls);
  o.chain_id = chain_id;
  o.connect_timeout_ms = 1'000;
  o.request_timeout_ms = 2'000;
  o.idle_timeout_ms = 400;
  o.pong_timeout_ms = 400;
  o.backoff_initial_ms = 50;
  o.backoff_max_ms = 200;
  o.stop_poll_ms = 20;
  o.rng_seed = 7;
  return o;
}

// A subscription on its own thread, recording the heads it passes.
class Running {
 public:
  explicit Running(NewHeadsOptions options)
      : sub_(std::move(options), clock_, [this](const HeadHint& h) { record(h); }),
        thread_([this] { sub_.run(stop_); }) {}
  ~Running() { stop_and_join_ms(); }

  NewHeadsStatus status() const { return sub_.status(); }
  std::vector<HeadHint> heads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return heads_;
  }
  bool has_head(std::uint64_t number) const {
    for (const HeadHint& h : heads())
      if (h.number == number) return true;
    return false;
  }
  const HeadHint* find(std::uint64_t number, std::vector<HeadHint>& keep) const {
    keep = heads();
    for (const HeadHint& h : keep)
      if (h.number == number) return &h;
    return nullptr;
  }
  bool wait_connected(std::uint64_t subscriptions = 1) const {
    return wait_until(
        [&] {
          const NewHeadsStatus s = status();
          return s.connected && s.subscriptions >= subscriptions;
        },
        kDeadline);
  }
  // Requests stop and returns how long run() took to return (ms).
  std::int64_t stop_and_join_ms() {
    if (!thread_.joinable()) return 0;
    const auto start = SteadyClock::now();
    stop_.request_stop();
    thread_.join();
    return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - start).count();
  }

 private:
  void record(const HeadHint& h) {
    std::lock_guard<std::mutex> lock(mu_);
    heads_.push_back(h);
  }

  SystemClock clock_;
  StopFlag stop_;
  mutable std::mutex mu_;
  std::vector<HeadHint> heads_;  // GUARDED_BY(mu_)
  NewHeadsSubscription sub_;
  std::thread thread_;
};

// Mines one block and waits until its head came through the subscription.
std::uint64_t mine_and_wait(Anvil& chain, const Running& sub) {
  chain.mine(1);
  const std::uint64_t n = chain.block_number();
  REQUIRE(wait_until([&] { return sub.has_head(n); }, kDeadline));
  return n;
}

// Redirects stderr (where log lines go) to a file for the lifetime of the object.
class StderrCapture {
 public:
  StderrCapture() : path_(dir_.file("stderr.log")) {
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    const int fd = ::open(path_.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
  ~StderrCapture() { restore(); }
  // The captured lines containing `event=<event>` (restores stderr first).
  std::vector<std::string> lines(const std::string& event) {
    restore();
    std::ifstream in(path_);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
      if (line.find("event=" + event + " ") != std::string::npos) out.push_back(line);
    }
    return out;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
    // Echo what was captured, so the test's log still shows it.
    std::ifstream in(path_);
    std::stringstream all;
    all << in.rdbuf();
    std::fputs(all.str().c_str(), stderr);
  }

  TempDir dir_;
  std::string path_;
  int saved_ = -1;
};

std::string head_frame(const std::string& sub, json number, json hash) {
  return json{{"jsonrpc", "2.0"},
              {"method", "eth_subscription"},
              {"params", {{"subscription", sub}, {"result", {{"number", number}, {"hash", hash}}}}}}
      .dump();
}

}  // namespace

TEST_CASE("heads of mined blocks arrive with their numbers and hashes", "[new_heads]") {
  Anvil chain;
  Running sub(fast_options({ws_url(chain)}));
  REQUIRE(sub.wait_connected());
  const std::uint64_t before = chain.block_number();
  chain.mine(3);
  REQUIRE(wait_until([&] { return sub.has_head(before + 3); }, kDeadline));
  for (std::uint64_t n = before + 1; n <= before + 3; ++n) {
    std::vector<HeadHint> keep;
    const HeadHint* h = sub.find(n, keep);
    INFO("block " << n);
    REQUIRE(h != nullptr);
    CHECK(h->hash.hex() == chain.block_hash(n));
    CHECK(h->url == ws_url(chain));
  }
  const NewHeadsStatus s = sub.status();
  CHECK(s.heads >= 3);
  CHECK(s.ignored == 0);
  CHECK(s.reconnects == 0);
  CHECK(s.last_head_number == before + 3);
  CHECK(s.last_head_at_ms > 0);
  CHECK(s.url == ws_url(chain));
  CHECK(sub.stop_and_join_ms() < 1'000);
  CHECK_FALSE(sub.status().connected);
}

TEST_CASE("a dropped connection reconnects and heads arrive again", "[new_heads]") {
  Anvil chain;
  WsFaultServer proxy(ws_url(chain));
  Running sub(fast_options({proxy.url()}));
  REQUIRE(sub.wait_connected());
  mine_and_wait(chain, sub);
  proxy.drop_all();
  REQUIRE(sub.wait_connected(2));
  CHECK(sub.status().reconnects >= 1);
  CHECK_FALSE(sub.status().last_error.empty());
  mine_and_wait(chain, sub);
  // Twice more: every drop is survived, not just the first.
  proxy.drop_all();
  REQUIRE(sub.wait_connected(3));
  mine_and_wait(chain, sub);
}

TEST_CASE("a silent stall is found by the idle ping and the session reconnects", "[new_heads]") {
  Anvil chain;
  WsFaultServer proxy(ws_url(chain));
  Running sub(fast_options({proxy.url()}));
  REQUIRE(sub.wait_connected());
  // A quiet but healthy socket: pings are answered and nothing reconnects.
  REQUIRE(wait_until([&] { return sub.status().pings >= 3; }, kDeadline));
  CHECK(sub.status().reconnects == 0);
  CHECK(sub.status().subscriptions == 1);

  proxy.set_mode(WsFaultServer::Mode::kStall);
  REQUIRE(wait_until([&] { return sub.status().reconnects >= 1; }, kDeadline));
  CHECK(sub.status().last_error.find("ping unanswered") != std::string::npos);
  // While stalled, new connections get no handshake answer: bounded by connect_timeout_ms.
  REQUIRE(wait_until(
      [&] {
        return sub.status().last_error.find("WebSocket handshake did not complete") !=
               std::string::npos;
      },
      kDeadline));
  CHECK_FALSE(sub.status().connected);

  proxy.set_mode(WsFaultServer::Mode::kPass);
  REQUIRE(sub.wait_connected(2));
  mine_and_wait(chain, sub);
}

TEST_CASE("an endpoint of another chain is never subscribed", "[new_heads]") {
  Anvil chain;
  WsFaultServer proxy(ws_url(chain));
  proxy.set_chain_id(999);
  StderrCapture log;
  {
    Running sub(fast_options({proxy.url()}));
    // Refused, and retried under backoff.
    REQUIRE(wait_until([&] { return sub.status().wrong_chain >= 2; }, kDeadline));
    chain.mine(2);
    const NewHeadsStatus s = sub.status();
    CHECK(s.subscriptions == 0);
    CHECK_FALSE(s.connected);
    CHECK(s.last_error.find("reports chain id 999, configured 31337") != std::string::npos);
    CHECK(sub.stop_and_join_ms() < 1'000);
    CHECK(sub.status().heads == 0);
    CHECK(sub.heads().empty());
  }
  for (const std::string& m : proxy.methods()) CHECK(m != "eth_subscribe");
  const auto lines = log.lines("ws_wrong_chain");
  REQUIRE(lines.size() >= 2);
  CHECK(lines[0].find("level=warn") != std::string::npos);
  CHECK(lines[0].find("next=") != std::string::npos);
  CHECK(lines[0].find("retry_in_ms=") != std::string::npos);
}

TEST_CASE("garbage is ignored, counted, logged once per kind; valid heads still pass",
          "[new_heads]") {
  Anvil chain;
  chain.mine(2);
  WsFaultServer proxy(ws_url(chain));
  StderrCapture log;
  Running sub(fast_options({proxy.url()}));
  REQUIRE(sub.wait_connected());
  REQUIRE(wait_until([&] { return !proxy.subscription_id().empty(); }, kDeadline));
  const std::string id = proxy.subscription_id();
  const std::string hash1 = chain.block_hash(1);
  const std::vector<std::string> garbage = {
      "not json",
      "{\"jsonrpc\":",
      "not json either",
      head_frame("0xnot-ours", "0x5", hash1),  // wrong subscription id
      head_frame(id, "0xzz", hash1),           // malformed number
      head_frame(id, "0x5", "0x1234"),         // malformed hash
      "{\"jsonrpc\":\"2.0\",\"method\":\"eth_subscription\",\"params\":{\"subscription\":\"" + id +
          "\",\"result\":{\"number\":\"0x5\"}}}",         // no hash
      "{\"jsonrpc\":\"2.0\",\"id\":77,\"result\":true}",  // a reply nobody asked for
  };
  for (const std::string& frame : garbage) proxy.send_to_clients(frame);
  // A valid head that goes backwards (block 1 while the chain is past it) is passed.
  proxy.send_to_clients(head_frame(id, "0x1", hash1));
  REQUIRE(wait_until([&] { return sub.has_head(1); }, kDeadline));
  const std::uint64_t mined = mine_and_wait(chain, sub);

  const NewHeadsStatus s = sub.status();
  CHECK(s.ignored == garbage.size());
  CHECK(s.ignored_by_kind[static_cast<std::size_t>(FrameProblem::kNotJson)] == 3);
  CHECK(s.ignored_by_kind[static_cast<std::size_t>(FrameProblem::kWrongSubscription)] == 1);
  CHECK(s.ignored_by_kind[static_cast<std::size_t>(FrameProblem::kMalformedHead)] == 3);
  CHECK(s.ignored_by_kind[static_cast<std::size_t>(FrameProblem::kUnexpected)] == 1);
  CHECK(s.reconnects == 0);
  const auto heads = sub.heads();
  REQUIRE(heads.size() == 2);  // block 1 (scripted) and the mined block, nothing else
  CHECK(heads[0].number == 1);
  CHECK(heads[0].hash.hex() == hash1);
  CHECK(heads[1].number == mined);
  CHECK(heads[1].hash.hex() == chain.block_hash(mined));

  CHECK(sub.stop_and_join_ms() < 1'000);
  const auto lines = log.lines("ws_garbage");
  CHECK(lines.size() == 4);  // one per kind, though not_json and malformed_head came 3 times
  for (const char* kind : {"not_json", "unexpected", "wrong_subscription", "malformed_head"}) {
    std::size_t n = 0;
    for (const auto& line : lines) n += line.find(std::string("kind=") + kind) != std::string::npos;
    INFO(kind);
    CHECK(n == 1);
  }
  for (const auto& line : lines) CHECK(line.find("next=") != std::string::npos);
}

TEST_CASE("stop ends run() within a second whatever the session is doing", "[new_heads]") {
  Anvil chain;
  SECTION("subscribed and idle") {
    Running sub(fast_options({ws_url(chain)}));
    REQUIRE(sub.wait_connected());
    CHECK(sub.stop_and_join_ms() < 1'000);
  }
  SECTION("waiting for a handshake answer that never comes") {
    WsFaultServer proxy(ws_url(chain));
    proxy.set_mode(WsFaultServer::Mode::kStall);
    NewHeadsOptions o = fast_options({proxy.url()});
    o.connect_timeout_ms = 60'000;
    Running sub(o);
    REQUIRE(wait_until([&] { return proxy.accepted() >= 1; }, kDeadline));
    CHECK(sub.stop_and_join_ms() < 1'000);
    CHECK(sub.status().reconnects == 0);  // still in its first handshake when stopped
  }
  SECTION("backing off after a refused connection") {
    NewHeadsOptions o =
        fast_options({"ws://127.0.0.1:" + std::to_string(testing::free_loopback_port())});
    o.backoff_initial_ms = 60'000;
    o.backoff_max_ms = 60'000;
    Running sub(o);
    REQUIRE(wait_until([&] { return !sub.status().last_error.empty(); }, kDeadline));
    CHECK(sub.stop_and_join_ms() < 1'000);
  }
  SECTION("no usable URL: returns at once") {
    Running sub(fast_options({"http://not-a-ws-url"}));
    REQUIRE(wait_until([&] { return !sub.status().last_error.empty(); }, kDeadline));
    CHECK(sub.stop_and_join_ms() < 1'000);
  }
}

TEST_CASE("several URLs are rotated over on reconnects", "[new_heads]") {
  Anvil chain;
  WsFaultServer dead(ws_url(chain));
  dead.set_mode(WsFaultServer::Mode::kStall);  // answers no handshake
  NewHeadsOptions o = fast_options({dead.url(), ws_url(chain)});
  o.connect_timeout_ms = 300;
  Running sub(o);
  REQUIRE(sub.wait_connected());
  CHECK(sub.status().url == ws_url(chain));
  CHECK(sub.status().reconnects >= 1);
  CHECK(dead.accepted() >= 1);
  mine_and_wait(chain, sub);
}

TEST_CASE("wss:// runs a bounded TLS handshake before the WebSocket one", "[new_heads]") {
  // No TLS server here: what is checked is that wss:// does TLS (a plain server fails it
  // with a TLS error) and that a server that never answers the TLS hello is timed out.
  Anvil chain;
  WsFaultServer silent(ws_url(chain));
  silent.set_mode(WsFaultServer::Mode::kStall);
  const std::string silent_wss =
      "wss://127.0.0.1:" + silent.url().substr(silent.url().rfind(':') + 1);
  {
    NewHeadsOptions o = fast_options({silent_wss});
    o.connect_timeout_ms = 300;
    Running sub(o);
    REQUIRE(wait_until(
        [&] {
          return sub.status().last_error.find("TLS handshake did not complete within 300 ms") !=
                 std::string::npos;
        },
        kDeadline));
    CHECK(sub.stop_and_join_ms() < 1'000);
  }
  Running plain(fast_options({"wss://127.0.0.1:" + std::to_string(chain.port())}));
  REQUIRE(wait_until([&] { return !plain.status().last_error.empty(); }, kDeadline));
  CHECK(plain.status().last_error.find("TLS handshake") != std::string::npos);
  CHECK(plain.status().subscriptions == 0);
}
