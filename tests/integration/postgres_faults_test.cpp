// The Postgres connection under production faults (DESIGN §10, issue 10 defects 2, 5, 7),
// against the real things: a throwaway PostgreSQL 15 cluster, our TcpFaultProxy in front
// of it, the production LazySink / PostgresSink, the Replicator on a RocksDB NodeStore and
// the `claimsync run` binary.
//   * a commit whose reply is lost (apply = one autocommit statement, or one "COPY ...;
//     EXECUTE ..." message for a larger batch; revoke = BEGIN .. COMMIT): an availability
//     error, a retry, and the sink ends exactly once;
//   * a silently dead connection (the proxy stops moving bytes): each call returns within
//     its deadline, the node reconnects once the path is back, replication resumes;
//   * a stall in the middle of a COPY (a large apply): the call returns by its deadline
//     (kTimeout) or soon after a stop (kCancelled), and nothing of the batch lands;
//   * SIGTERM while the sink call is stalled: exit 0 within a few seconds;
//   * the database turns read-only (a hot standby after failover, SQLSTATE 25006): the
//     replicator pauses, reconnects, and resumes once it is writable again.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <thread>

#include "node/lazy_sink.hpp"
#include "node/replicator.hpp"
#include "rpc/logging.hpp"
#include "storage/membership_sink.hpp"
#include "storage/node_store.hpp"
#include "storage/postgres_sink.hpp"
#include "tests/support/pg_cluster.hpp"
#include "tests/support/process.hpp"
#include "tests/support/synthetic_claims.hpp"
#include "tests/support/tcp_fault_proxy.hpp"

namespace {

using namespace claimsync;
using namespace std::chrono_literals;
using store::ClaimState;
using testing::TcpFaultProxy;
using SteadyClock = std::chrono::steady_clock;

std::string proxied_url(const TcpFaultProxy& proxy) {
  return "postgres://postgres@127.0.0.1:" + std::to_string(proxy.port()) +
         "/claimsync?sslmode=disable&gssencmode=disable";
}

std::int64_t ms_since(SteadyClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t).count();
}

std::uint64_t count_of(const store::NodeStore& s, ClaimState st) { return s.counters().of(st); }

// The schema, applied directly (not through the proxy, so no fault hits the migrations).
void migrate(const testing::PgCluster& pg) {
  auto sink = store::open_sink(pg.url(), /*migrate=*/true);
  REQUIRE(sink.ok());
}

std::unique_ptr<store::NodeStore> store_with_claims(const testing::TempDir& dir,
                                                    std::uint32_t claims) {
  auto opened = store::NodeStore::open(dir.file("store"), testing::synthetic_identity());
  REQUIRE(opened.ok());
  SystemClock clock;
  REQUIRE(testing::commit_synthetic_claims(**opened, claims, clock.now_ms()).ok());
  return std::move(opened.value());
}

node::ReplicatorConfig fast_replicator(std::size_t batch) {
  node::ReplicatorConfig config;
  config.batch_size = batch;
  config.max_attempts = 2;  // an outage that spent attempts would dead-letter at once
  config.backoff_initial_ms = 50;
  config.backoff_max_ms = 300;
  config.idle_poll_ms = 50;
  return config;
}

// replicator.run() on its own thread. On destruction `unblock` runs first (closes the
// proxy's connections, so even a call without a deadline returns), then stop and join.
class Running {
 public:
  Running(node::Replicator& r, StopFlag& stop, std::function<void()> unblock)
      : stop_(stop), unblock_(std::move(unblock)), thread_([&r, &stop] { r.run(stop); }) {}
  ~Running() {
    stop_.request_stop();
    unblock_();
    thread_.join();
  }

 private:
  StopFlag& stop_;
  std::function<void()> unblock_;
  std::thread thread_;
};

// Runs `fn` while a watchdog closes the proxy's connections after `watchdog`: a call
// without a deadline then fails late instead of hanging the test. Returns elapsed ms.
std::int64_t timed(TcpFaultProxy& proxy, std::chrono::milliseconds watchdog,
                   const std::function<void()>& fn) {
  StopFlag done;
  std::thread dog([&] {
    if (!done.wait_for_ms(watchdog.count())) proxy.drop_all();
  });
  const auto t0 = SteadyClock::now();
  fn();
  const std::int64_t elapsed = ms_since(t0);
  done.request_stop();
  dog.join();
  return elapsed;
}

void check_exactly_once(const testing::PgCluster& pg, std::uint32_t n) {
  const std::string count = std::to_string(n);
  CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue") == count);
  CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue WHERE status = 'done'") == count);
  CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue WHERE attempts > 0") == "0");
  CHECK(pg.scalar("SELECT count(*) FROM membership") == count);
  CHECK(pg.scalar("SELECT count(DISTINCT claim_key) FROM membership") == count);
  CHECK(pg.scalar("SELECT count(*) FROM members") == count);
}

std::vector<store::Claim> synthetic(std::uint32_t from, std::uint32_t to) {
  std::vector<store::Claim> out;
  for (std::uint32_t n = from; n < to; ++n) out.push_back(testing::synthetic_claim(n));
  return out;
}

}  // namespace

TEST_CASE("a lost commit reply on apply and on revoke: outcome unknown, retried, exactly once",
          "[postgres][faults]") {
  set_log_level(LogLevel::kWarn);
  testing::PgCluster pg;
  migrate(pg);
  TcpFaultProxy proxy("127.0.0.1", pg.port());

  SECTION("sink level: the server committed, the client hears kUnavailable; a replay is a no-op") {
    auto sink = store::open_sink(proxied_url(proxy), /*migrate=*/false, {5'000, nullptr});
    REQUIRE(sink.ok());
    REQUIRE((*sink)->ping().ok());  // warm: connected, session set, statements prepared
    const auto claims = synthetic(0, 6);

    proxy.lose_next_commit_replies(1);
    store::SinkResult applied = (*sink)->apply(claims);
    CHECK(proxy.commit_replies_lost() == 1);
    CHECK(applied.status.code() == ErrorCode::kUnavailable);
    CHECK(applied.rejected.empty());
    CHECK(pg.scalar("SELECT count(*) FROM membership") == "6");  // it did land
    store::SinkResult again = (*sink)->apply(claims);            // reconnects
    REQUIRE(again.status.ok());
    check_exactly_once(pg, 6);

    proxy.lose_next_commit_replies(1);
    store::SinkResult revoked = (*sink)->revoke(synthetic(3, 6));
    CHECK(proxy.commit_replies_lost() == 2);
    CHECK(revoked.status.code() == ErrorCode::kUnavailable);
    CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue WHERE status = 'revoked'") == "3");
    REQUIRE((*sink)->revoke(synthetic(3, 6)).status.ok());
    CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue WHERE status = 'revoked'") == "3");
    CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue WHERE status = 'done'") == "3");
    CHECK(pg.scalar("SELECT count(*) FROM membership") == "3");

    // Through the COPY stage: "COPY ...; EXECUTE merge" commits as one.
    dynamic_cast<store::PostgresSink&>(**sink).set_stage_min_claims(1);
    const auto staged = synthetic(100, 140);
    proxy.lose_next_commit_replies(1);
    applied = (*sink)->apply(staged);
    CHECK(proxy.commit_replies_lost() == 3);
    CHECK(applied.status.code() == ErrorCode::kUnavailable);
    CHECK(pg.scalar("SELECT count(*) FROM membership") == "43");  // it did land
    REQUIRE((*sink)->apply(staged).status.ok());
    CHECK(pg.scalar("SELECT count(*) FROM membership") == "43");
    CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue WHERE status = 'done'") == "43");
  }

  SECTION("replicator: the batch is retried without spending attempts") {
    constexpr std::uint32_t kClaims = 200;
    testing::TempDir dir("pg-faults-lost");
    auto store = store_with_claims(dir, kClaims);
    StopFlag stop;
    node::LazySink sink(proxied_url(proxy), /*migrate=*/false, {5'000, &stop});
    REQUIRE(sink.ping().ok());  // warm, so the first commit reply is the apply's
    SystemClock clock;
    node::Replicator replicator(*store, sink, clock, fast_replicator(50));

    proxy.lose_next_commit_replies(1);
    {
      Running run(replicator, stop, [&] { proxy.drop_all(); });
      REQUIRE(
          testing::wait_until([&] { return count_of(*store, ClaimState::kDone) == kClaims; }, 30s));
      CHECK(proxy.commit_replies_lost() == 1);
      CHECK(replicator.status().unavailable >= 1);

      // Revoke through the replicator: a reorg takes claims 100.. back; the COMMIT's reply
      // is lost.
      proxy.lose_next_commit_replies(1);
      REQUIRE(store->rollback_to(testing::kSyntheticFirstBlock + 99, clock.now_ms()).ok());
      stop.notify();
      REQUIRE(testing::wait_until(
          [&] { return count_of(*store, ClaimState::kRevoked) == kClaims - 100; }, 30s));
      CHECK(proxy.commit_replies_lost() == 2);
    }
    CHECK(count_of(*store, ClaimState::kDead) == 0);
    CHECK(count_of(*store, ClaimState::kRetrying) == 0);
    CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue") == std::to_string(kClaims));
    CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue WHERE status = 'done'") == "100");
    CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue WHERE status = 'revoked'") == "100");
    CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue WHERE attempts > 0") == "0");
    CHECK(pg.scalar("SELECT count(*) FROM membership") == "100");
  }
}

TEST_CASE("a silently dead connection: each call returns within its deadline, then resumes",
          "[postgres][faults]") {
  set_log_level(LogLevel::kError);
  constexpr std::int64_t kCallTimeoutMs = 1'500;
  constexpr std::int64_t kSlackMs = 1'500;  // scheduling on a busy 2-core machine
  testing::PgCluster pg;
  migrate(pg);
  TcpFaultProxy proxy("127.0.0.1", pg.port());

  // One call on a stalled established connection, one connect into a stalled path.
  auto direct = store::open_sink(proxied_url(proxy), /*migrate=*/false, {kCallTimeoutMs, nullptr});
  REQUIRE(direct.ok());
  REQUIRE((*direct)->ping().ok());
  proxy.set_mode(TcpFaultProxy::Mode::kStall);
  Status stalled_ping;
  const std::int64_t ping_ms = timed(proxy, 15s, [&] { stalled_ping = (*direct)->ping(); });
  Status stalled_open;
  const std::int64_t connect_ms = timed(proxy, 15s, [&] {
    stalled_open = store::open_sink(proxied_url(proxy), false, {kCallTimeoutMs, nullptr}).status();
  });
  std::printf("stall: ping returned after %lld ms (%s); connect after %lld ms (%s)\n",
              static_cast<long long>(ping_ms), stalled_ping.to_string().c_str(),
              static_cast<long long>(connect_ms), stalled_open.to_string().c_str());
  CHECK(stalled_ping.code() == ErrorCode::kTimeout);
  CHECK(ping_ms >= kCallTimeoutMs - 50);
  CHECK(ping_ms <= kCallTimeoutMs + kSlackMs);
  CHECK(stalled_open.code() == ErrorCode::kTimeout);
  CHECK(connect_ms <= kCallTimeoutMs + kSlackMs);
  proxy.set_mode(TcpFaultProxy::Mode::kPass);
  CHECK((*direct)->ping().ok());  // a new connection through the healed path
  proxy.drop_all();

  // The replicator: stall mid-way through 2,000 claims, notice, reconnect, finish.
  constexpr std::uint32_t kClaims = 2'000;
  testing::TempDir dir("pg-faults-stall");
  auto store = store_with_claims(dir, kClaims);
  StopFlag stop;
  node::LazySink sink(proxied_url(proxy), /*migrate=*/false, {kCallTimeoutMs, &stop});
  SystemClock clock;
  node::Replicator replicator(*store, sink, clock, fast_replicator(10));
  {
    Running run(replicator, stop, [&] { proxy.drop_all(); });
    REQUIRE(
        testing::wait_until([&] { return count_of(*store, ClaimState::kDone) >= 100; }, 30s, 1ms));
    proxy.set_mode(TcpFaultProxy::Mode::kStall);
    const auto stalled_at = SteadyClock::now();
    REQUIRE(testing::wait_until([&] { return replicator.status().paused; },
                                std::chrono::milliseconds(kCallTimeoutMs + 10'000)));
    const std::int64_t noticed_ms = ms_since(stalled_at);
    const std::uint64_t done_while_stalled = count_of(*store, ClaimState::kDone);
    CHECK(done_while_stalled < kClaims);
    CHECK(count_of(*store, ClaimState::kDead) == 0);
    proxy.set_mode(TcpFaultProxy::Mode::kPass);
    const auto healed_at = SteadyClock::now();
    REQUIRE(
        testing::wait_until([&] { return count_of(*store, ClaimState::kDone) == kClaims; }, 30s));
    std::printf(
        "stall: replicator paused %lld ms after the stall (done %llu); caught up %lld ms "
        "after the path healed; stalled connections left open %zu\n",
        static_cast<long long>(noticed_ms), static_cast<unsigned long long>(done_while_stalled),
        static_cast<long long>(ms_since(healed_at)), proxy.open_connections());
    CHECK(noticed_ms <= kCallTimeoutMs + kSlackMs);
  }
  CHECK(count_of(*store, ClaimState::kDead) == 0);
  CHECK(count_of(*store, ClaimState::kRetrying) == 0);
  check_exactly_once(pg, kClaims);
}

TEST_CASE("a stall in the middle of a COPY: the call ends by its deadline or stop, nothing lands",
          "[postgres][faults]") {
  set_log_level(LogLevel::kError);
  constexpr std::int64_t kCallTimeoutMs = 1'500;
  constexpr std::int64_t kSlackMs = 1'500;  // scheduling on a busy 2-core machine
  testing::PgCluster pg;
  migrate(pg);
  TcpFaultProxy proxy("127.0.0.1", pg.port());
  StopFlag stop;
  auto sink = store::PostgresSink::open(proxied_url(proxy), {kCallTimeoutMs, &stop});
  REQUIRE(sink.ok());
  (*sink)->set_stage_min_claims(1);
  REQUIRE((*sink)->ping().ok());  // warm: connected, stage created, statements prepared
  // ~16 MB of COPY data, more than the socket buffers on the way take in: the stall after
  // 1 MB catches the client while it sends.
  const auto claims = synthetic(0, 40'000);

  Status stalled;
  SECTION("deadline") {
    proxy.stall_after_client_bytes(1 << 20);
    const std::int64_t ms = timed(proxy, 15s, [&] { stalled = (*sink)->apply(claims).status; });
    std::printf("stall mid-COPY: apply returned after %lld ms (%s)\n", static_cast<long long>(ms),
                stalled.to_string().c_str());
    CHECK(stalled.code() == ErrorCode::kTimeout);
    CHECK(stalled.message().find("sending COPY data") != std::string::npos);
    CHECK(ms >= kCallTimeoutMs - 50);
    CHECK(ms <= kCallTimeoutMs + kSlackMs);
  }
  SECTION("stop") {
    proxy.stall_after_client_bytes(1 << 20);
    std::thread stopper([&] {
      // Once the stall took hold (the COPY is cut) and the client is stuck sending the
      // rest, ask the node to stop.
      testing::wait_until([&] { return proxy.mode() == TcpFaultProxy::Mode::kStall; }, 10s, 1ms);
      std::this_thread::sleep_for(200ms);
      stop.request_stop();
    });
    const std::int64_t ms = timed(proxy, 15s, [&] { stalled = (*sink)->apply(claims).status; });
    stopper.join();
    std::printf("stall mid-COPY + stop: apply returned after %lld ms (%s)\n",
                static_cast<long long>(ms), stalled.to_string().c_str());
    CHECK(stalled.code() == ErrorCode::kCancelled);
    CHECK(stalled.message().find("sending COPY data") != std::string::npos);
    CHECK(ms < kCallTimeoutMs);
  }
  // The server never saw the end of the COPY: nothing of the batch was committed (its
  // backend waits for the rest until the proxy closes the connection).
  CHECK(pg.scalar("SELECT count(*) FROM claim_sync_queue") == "0");
  CHECK(pg.scalar("SELECT count(*) FROM membership") == "0");
  // The path heals: a new connection takes a batch again.
  proxy.set_mode(TcpFaultProxy::Mode::kPass);
  auto healed = store::PostgresSink::open(proxied_url(proxy), {kCallTimeoutMs * 10, nullptr});
  REQUIRE(healed.ok());
  const store::SinkResult r = (*healed)->apply(synthetic(0, 1'000));
  INFO(r.status.to_string());
  REQUIRE(r.status.ok());
  check_exactly_once(pg, 1'000);
}

TEST_CASE("the database turns read-only (25006): pause, reconnect, resume when writable",
          "[postgres][faults]") {
  set_log_level(LogLevel::kError);
  testing::PgCluster pg;
  migrate(pg);
  constexpr std::uint32_t kClaims = 1'000;
  testing::TempDir dir("pg-faults-readonly");
  auto store = store_with_claims(dir, kClaims);
  StopFlag stop;
  node::LazySink sink(pg.url(), /*migrate=*/false, {5'000, &stop});
  SystemClock clock;
  node::Replicator replicator(*store, sink, clock, fast_replicator(10));
  const auto terminate_sessions = [&] {
    pg.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE application_name = 'claimsync' AND pid <> pg_backend_pid()");
  };
  {
    Running run(replicator, stop, [] {});
    REQUIRE(
        testing::wait_until([&] { return count_of(*store, ClaimState::kDone) >= 50; }, 30s, 1ms));
    // Failover to a hot standby: the sessions drop, new ones are read-only.
    pg.exec("ALTER DATABASE claimsync SET default_transaction_read_only = on", {}, "postgres");
    terminate_sessions();
    REQUIRE(testing::wait_until(
        [&] {
          const auto s = replicator.status();
          return s.paused && s.last_error.find("25006") != std::string::npos;
        },
        15s));
    const std::uint64_t done_read_only = count_of(*store, ClaimState::kDone);
    CHECK(done_read_only < kClaims);
    // The primary is back: writable for new sessions only, so only a reconnect sees it.
    pg.exec("ALTER DATABASE claimsync RESET default_transaction_read_only", {}, "postgres");
    const auto writable_at = SteadyClock::now();
    REQUIRE(
        testing::wait_until([&] { return count_of(*store, ClaimState::kDone) == kClaims; }, 20s));
    std::printf("read-only: paused at %llu done; caught up %lld ms after it was writable\n",
                static_cast<unsigned long long>(done_read_only),
                static_cast<long long>(ms_since(writable_at)));
  }
  CHECK(count_of(*store, ClaimState::kDead) == 0);
  CHECK(count_of(*store, ClaimState::kRetrying) == 0);
  check_exactly_once(pg, kClaims);
}

namespace {

// A data dir holding `claims` synthetic claims and a config that points the node at it,
// at `sink_url` and at an RPC port nobody listens on (the follower waits; the replicator
// works the outbox).
std::string prepare_node(const testing::TempDir& dir, std::uint32_t claims,
                         const std::string& sink_url) {
  { auto store = store_with_claims(dir, claims); }  // closed: the node takes the store's lock
  const std::string path = dir.file("claimsync.toml");
  std::ofstream(path) << "[chain]\n"
                      << "rpc_urls = [\"http://127.0.0.1:" << testing::free_loopback_port()
                      << "\"]\n"
                      << "chain_id = " << testing::kSyntheticChainId << "\n"
                      << "contract = \"" << testing::synthetic_identity().contract.checksummed()
                      << "\"\n"
                      << "start_block = " << testing::kSyntheticFirstBlock << "\n"
                      << "[storage]\ndata_dir = \"" << dir.file("store") << "\"\n"
                      << "[sink]\nurl = \"" << sink_url << "\"\nmigrate_on_start = false\n"
                      << "[replicator]\nbatch_size = 5\nbackoff_initial_ms = 100\n"
                      << "backoff_max_ms = 1000\n";
  return path;
}

// `sig` (SIGTERM unless given) to `node`; the exit code and how long it took (exit -1:
// not within `bound`).
std::pair<int, std::int64_t> terminate(testing::ChildProcess& node, std::chrono::milliseconds bound,
                                       int sig = SIGTERM) {
  const auto t0 = SteadyClock::now();
  node.signal(sig);
  const std::optional<int> code = node.wait(bound);
  return {code.value_or(-1), ms_since(t0)};
}

}  // namespace

TEST_CASE("claimsync run: SIGTERM while the sink call is stalled exits 0 within seconds",
          "[postgres][faults][cli]") {
  constexpr auto kBound = 5s;
  testing::PgCluster pg;
  migrate(pg);
  TcpFaultProxy proxy("127.0.0.1", pg.port());
  testing::TempDir dir("pg-faults-run");
  const std::string config = prepare_node(dir, 5'000, proxied_url(proxy));
  testing::SpawnOptions opts;
  opts.output_file = dir.file("node.log");

  SECTION("stalled in the middle of a statement") {
    auto node = testing::ChildProcess::spawn({CLAIMSYNC_BINARY, "run", "--config", config}, opts);
    REQUIRE(testing::wait_until(
        [&] { return std::stoi(pg.scalar("SELECT count(*) FROM membership")) >= 50; }, 30s));
    proxy.set_mode(TcpFaultProxy::Mode::kStall);
    // Wait until nothing moves any more: the node is inside a call that gets no answer.
    std::string before = pg.scalar("SELECT count(*) FROM membership");
    REQUIRE(testing::wait_until(
        [&] {
          const std::string now = pg.scalar("SELECT count(*) FROM membership");
          const bool still = now == before;
          before = now;
          return still;
        },
        10s, 300ms));
    const auto [code, ms] = terminate(node, kBound);
    std::printf("run: SIGTERM during a stalled statement: exit %d after %lld ms\n", code,
                static_cast<long long>(ms));
    const std::string log = testing::read_file(dir.file("node.log"));
    INFO(log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
    CHECK(code == 0);
    CHECK(ms < 5'000);
    CHECK(log.find("stop requested during the call") != std::string::npos);
    CHECK(log.find("node_stopped") != std::string::npos);
  }

  SECTION("SIGHUP (a closed terminal) stops as cleanly as SIGTERM") {
    auto node = testing::ChildProcess::spawn({CLAIMSYNC_BINARY, "run", "--config", config}, opts);
    REQUIRE(testing::wait_until(
        [&] { return std::stoi(pg.scalar("SELECT count(*) FROM membership")) >= 50; }, 30s));
    const auto [code, ms] = terminate(node, kBound, SIGHUP);
    const std::string log = testing::read_file(dir.file("node.log"));
    INFO(log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
    CHECK(code == 0);
    CHECK(ms < 5'000);
    CHECK(log.find("event=signal_received signal=1 ") != std::string::npos);
    CHECK(log.find("node_stopped") != std::string::npos);
  }

  SECTION("stalled while connecting") {
    proxy.set_mode(TcpFaultProxy::Mode::kStall);
    auto node = testing::ChildProcess::spawn({CLAIMSYNC_BINARY, "run", "--config", config}, opts);
    REQUIRE(testing::wait_until([&] { return proxy.open_connections() >= 1; }, 15s));
    const auto [code, ms] = terminate(node, kBound);
    std::printf("run: SIGTERM during a stalled connect: exit %d after %lld ms\n", code,
                static_cast<long long>(ms));
    const std::string log = testing::read_file(dir.file("node.log"));
    INFO(log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
    CHECK(code == 0);
    CHECK(ms < 5'000);
    CHECK(log.find("node_stopped") != std::string::npos);
  }
}

TEST_CASE("sink sessions bound statements and locks; the URL's options win", "[postgres][faults]") {
  testing::PgCluster pg;
  migrate(pg);
  const auto show = [](store::PostgresSink& sink, const std::string& name) {
    auto r = sink.connection().exec("SHOW " + name);
    REQUIRE(r.ok());
    return std::string(r->value(0, 0));
  };
  auto plain = store::PostgresSink::open(pg.url(), {30'000, nullptr});
  REQUIRE(plain.ok());
  REQUIRE((*plain)->ping().ok());
  CHECK(show(**plain, "statement_timeout") == "20s");
  CHECK(show(**plain, "lock_timeout") == "5s");
  CHECK(show(**plain, "idle_in_transaction_session_timeout") == "1min");

  auto tuned = store::PostgresSink::open(
      pg.url() + "?options=-c%20statement_timeout%3D7000%20-c%20lock_timeout%3D0",
      {30'000, nullptr});
  REQUIRE(tuned.ok());
  REQUIRE((*tuned)->ping().ok());
  CHECK(show(**tuned, "statement_timeout") == "7s");
  CHECK(show(**tuned, "lock_timeout") == "0");
  CHECK(show(**tuned, "idle_in_transaction_session_timeout") == "1min");
}
