// AlertNotifier against a local HTTP receiver (cpp-httplib on a free loopback port):
// conditions raised and cleared, each change sent once; a receiver that is down or slow
// does not hold observe(), and what is still firing when it is back is delivered, while
// what started and ended meanwhile is not. Also `claimsync run` with [alerts] telling the
// receiver that its RPC endpoint does not answer.
#include <catch2/catch.hpp>

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "node/alerts/alert_notifier.hpp"
#include "tests/support/process.hpp"

namespace {

using namespace claimsync;
using namespace std::chrono_literals;
using nlohmann::json;
using node::AlertNotifier;
using node::AlertNotifierOptions;
using node::StatusReport;
namespace ct = claimsync::testing;

// The webhook's receiving end: records every body POSTed to /hook, answers `status` after
// `delay_ms`.
class Receiver {
 public:
  explicit Receiver(unsigned short port) {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      const int delay = delay_ms.load();
      // A fixed pause on purpose: this is the fault under test (a receiver slower than the
      // notifier's POST timeout), not a wait for a condition; the test waits with deadlines.
      if (delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
      {
        std::lock_guard lock(mu_);
        bodies_.push_back(json::parse(req.body, nullptr, /*allow_exceptions=*/false));
      }
      res.status = status.load();
      res.set_content("ok", "text/plain");
    });
    thread_ = std::thread([this, port] { server_.listen("127.0.0.1", port); });
    REQUIRE(ct::wait_until([this] { return server_.is_running(); }, 5s));
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::vector<json> bodies() const {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  std::size_t count() const { return bodies().size(); }

  std::atomic<int> status{200};
  std::atomic<int> delay_ms{0};

 private:
  httplib::Server server_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<json> bodies_;
};

StatusReport healthy() {
  StatusReport r;
  r.running = true;
  r.head = r.target = r.checkpoint = 100;
  r.rpc_reachable = true;
  r.db_reachable = true;
  return r;
}

StatusReport with_dead(std::uint64_t n) {
  StatusReport r = healthy();
  r.counters.by_state[static_cast<int>(store::ClaimState::kDead)] = n;
  return r;
}

AlertNotifierOptions options_for(unsigned short port, const std::string& format = "json") {
  AlertNotifierOptions o;
  o.url = eth::parse_http_url("http://127.0.0.1:" + std::to_string(port) + "/hook").value();
  o.format = format;
  o.label = "test";
  o.min_interval_ms = 0;
  o.timeout_ms = 500;
  o.backoff_initial_ms = 50;
  o.backoff_max_ms = 200;
  return o;
}

// "ClaimsyncDeadClaims=firing ..." of one JSON message.
std::string statuses(const json& body) {
  std::string out;
  for (const json& a : body.at("alerts"))
    out += a.at("alert").get<std::string>() + "=" + a.at("status").get<std::string>() + " ";
  return out;
}

std::int64_t ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               t0)
      .count();
}

}  // namespace

TEST_CASE("notifier: a condition is sent when it starts and when it ends, once each", "[alerts]") {
  const unsigned short port = ct::free_loopback_port();
  Receiver receiver(port);
  AlertNotifier notifier(options_for(port), node::AlertThresholds{});
  std::int64_t now = 1'000'000;
  notifier.observe(healthy(), now);
  for (int i = 0; i < 5; ++i) notifier.observe(with_dead(1), now += 1'000);
  REQUIRE(ct::wait_until([&] { return receiver.count() >= 1; }, 10s));
  for (int i = 0; i < 5; ++i) notifier.observe(healthy(), now += 1'000);
  REQUIRE(ct::wait_until([&] { return receiver.count() >= 2; }, 10s));
  // Nothing more is due: the notifier says so, and no third message comes.
  REQUIRE(ct::wait_until([&] { return notifier.stats().undelivered == 0; }, 5s));
  const auto bodies = receiver.bodies();
  REQUIRE(bodies.size() == 2);
  CHECK(statuses(bodies[0]) == "ClaimsyncDeadClaims=firing ");
  CHECK(statuses(bodies[1]) == "ClaimsyncDeadClaims=resolved ");
  CHECK(bodies[0].at("node") == "test");
  CHECK(notifier.stats().messages_sent == 2);
  CHECK(notifier.stats().failures == 0);
}

TEST_CASE("notifier: Slack format carries one text field", "[alerts]") {
  const unsigned short port = ct::free_loopback_port();
  Receiver receiver(port);
  AlertNotifier notifier(options_for(port, "slack"), node::AlertThresholds{});
  notifier.observe(with_dead(3), 1'000);
  REQUIRE(ct::wait_until([&] { return receiver.count() >= 1; }, 10s));
  const json body = receiver.bodies().at(0);
  REQUIRE(body.size() == 1);
  const std::string text = body.at("text");
  CHECK(text.rfind("[FIRING] ClaimsyncDeadClaims (test): 3 claim(s) dead", 0) == 0);
  CHECK(text.find("Next: ") != std::string::npos);
}

TEST_CASE("notifier: a receiver that is down loses no alert still firing when it is back",
          "[alerts]") {
  const unsigned short port = ct::free_loopback_port();  // nothing listens yet
  node::AlertThresholds th;
  th.sink_down_for_s = 0;
  AlertNotifier notifier(options_for(port), th);
  std::int64_t now = 1'000'000;
  // While the receiver is down: the dead claims start (and stay); the database goes away
  // and comes back (started and ended: nothing to tell).
  notifier.observe(with_dead(1), now += 1'000);
  StatusReport db_down = with_dead(1);
  db_down.db_reachable = false;
  notifier.observe(db_down, now += 1'000);
  REQUIRE(ct::wait_until([&] { return notifier.stats().failures >= 2; }, 10s));
  notifier.observe(with_dead(1), now += 1'000);
  CHECK(notifier.stats().undelivered == 1);

  Receiver receiver(port);  // back
  REQUIRE(ct::wait_until([&] { return receiver.count() >= 1; }, 10s));
  REQUIRE(ct::wait_until([&] { return notifier.stats().undelivered == 0; }, 5s));
  const auto bodies = receiver.bodies();
  REQUIRE(bodies.size() == 1);
  CHECK(statuses(bodies[0]) == "ClaimsyncDeadClaims=firing ");
  CHECK(notifier.stats().messages_sent == 1);
}

TEST_CASE("notifier: a receiver answering 503 is retried; a slow one does not hold observe()",
          "[alerts]") {
  const unsigned short port = ct::free_loopback_port();
  Receiver receiver(port);
  receiver.status = 503;
  AlertNotifier notifier(options_for(port), node::AlertThresholds{});
  std::int64_t now = 1'000'000;
  notifier.observe(with_dead(1), now += 1'000);
  REQUIRE(ct::wait_until([&] { return receiver.count() >= 3; }, 10s));  // retried
  CHECK(notifier.stats().messages_sent == 0);
  CHECK(notifier.stats().last_error == "HTTP 503");

  // Slow: each answer takes 2 s (the POST gives up after 500 ms). observe() meanwhile
  // returns at once: it never waits on the network.
  receiver.delay_ms = 2'000;
  receiver.status = 200;
  const std::size_t before = receiver.count();
  REQUIRE(ct::wait_until([&] { return receiver.count() > before; }, 10s));  // a POST in flight
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) notifier.observe(with_dead(1), now += 1'000);
  CHECK(ms_since(t0) < 400);  // 20 calls, well under one POST's timeout
  receiver.delay_ms = 0;
  REQUIRE(ct::wait_until([&] { return notifier.stats().messages_sent == 1; }, 10s));
  // stop() is bounded even with a POST towards a stalled receiver.
  receiver.delay_ms = 5'000;
  notifier.observe(healthy(), now += 1'000);
  REQUIRE(ct::wait_until([&] { return receiver.count() > before + 2; }, 10s));
  const auto t1 = std::chrono::steady_clock::now();
  notifier.stop();
  CHECK(ms_since(t1) < 3'000);
}

TEST_CASE("claimsync run: [alerts] tells the receiver that no RPC endpoint answers",
          "[alerts][cli]") {
  const unsigned short hook_port = ct::free_loopback_port();
  Receiver receiver(hook_port);
  ct::TempDir dir("alerts-run");
  const unsigned short dead_rpc = ct::free_loopback_port();  // nothing listens there
  const std::string config = dir.file("claimsync.toml");
  {
    std::ofstream toml(config);
    toml << "[chain]\nrpc_urls = [\"http://127.0.0.1:" << dead_rpc << "\"]\nchain_id = 31337\n"
         << "contract = \"0x5FbDB2315678afecb367f032d93F642f64180aa3\"\nstart_block = 1\n"
         << "[rpc]\ntimeout_ms = 300\n"
         << "[storage]\ndata_dir = \"" << dir.file("data") << "\"\n"
         << "[sink]\nurl = \"sqlite://" << dir.file("sink.db") << "\"\n"
         << "[alerts]\nenabled = true\nwebhook_url_env = \"CLAIMSYNC_TEST_ALERTS_URL\"\n"
         << "format = \"json\"\nmin_interval_s = 0\nrpc_down_for_s = 0\n";
  }
  ct::SpawnOptions opts;
  opts.output_file = dir.file("node.log");
  opts.env = {
      {"CLAIMSYNC_TEST_ALERTS_URL", "http://127.0.0.1:" + std::to_string(hook_port) + "/hook"}};
  auto node = ct::ChildProcess::spawn({CLAIMSYNC_BINARY, "run", "--config", config}, opts);
  const bool told = ct::wait_until(
      [&] {
        for (const json& b : receiver.bodies())
          if (b.is_object() &&
              statuses(b).find("ClaimsyncRpcUnreachable=firing") != std::string::npos)
            return true;
        return false;
      },
      30s);
  node.signal(SIGTERM);
  const auto code = node.wait(10s);
  const std::string log = ct::read_file(dir.file("node.log"));
  INFO(log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
  CHECK(told);
  CHECK(code == 0);
  CHECK(log.find("event=alert_firing alert=ClaimsyncRpcUnreachable") != std::string::npos);
}
