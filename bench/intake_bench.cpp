// Intake benchmark (issue 12): POST /v1/claims against a real `claimsync run` (anvil with
// auto-mining, SQLite sink, api.enabled), measured by N client threads, each with its own
// keep-alive httplib::Client:
//
//   * GET /healthz on the same server, same clients: the transport's cost (the baseline);
//   * duplicate hints: POST /v1/claims of a tx the node has already answered "claimed"
//     (one such tx per thread): the cheap path, a map lookup and the answer's JSON;
//   * fresh hints: POST /v1/claims of distinct mint txs mined before the timed part, each
//     needing a receipt check (eth_getTransactionReceipt, the block header, ingest_hint).
//     Per tx: the answer time of the first POST (202 "verifying" expected, well under
//     100 ms) and the time until a re-POST (every ~0.5 ms) answers "claimed".
//
// The healthz and duplicate phases alternate (--rounds) for --duration-s each; the fresh
// phase runs once over --fresh txs. The node runs with chain.confirmations = 1,000,000 so
// its follower never scans a block: every claim comes in through a hint. The per-client-
// address rate limit would throttle the bench (all threads are 127.0.0.1), so the config
// sets api.rate_limit_per_s = 0 (no limit); every other api/intake key is the product's
// default (api.workers 8, intake.workers 4).
//
//   intake_bench [--threads N] [--duration-s D] [--fresh K] [--rounds R] [--help]
//
// Results: bench/RESULTS.md ("2026-12-01, session 6: intake (issue 12)").
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/bench_options.hpp"
#include "tests/support/anvil.hpp"
#include "tests/support/bench_node.hpp"
#include "tests/support/process.hpp"

using namespace claimsync;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr auto kReadyTimeout = milliseconds(60'000);   // node start to /healthz 200
constexpr auto kSettleTimeout = milliseconds(20'000);  // one hint to "claimed"
constexpr auto kRepost = std::chrono::microseconds(500);
constexpr double kFirstAnswerTargetMs = 100;

struct Args {
  unsigned threads = 8;
  unsigned duration_s = 3;
  unsigned fresh = 400;
  unsigned rounds = 2;
};

Args parse_args(int argc, char** argv) {
  Args a;
  bench::BenchOptions cl("intake_bench",
                         "[--threads N] [--duration-s D] [--fresh K] [--rounds R] [--help]",
                         "POST /v1/claims against a real `claimsync run`: healthz, duplicate "
                         "hints and fresh hints.");
  bench::add_threads(cl, a.threads);
  cl.number("duration-s", "D", a.duration_s, 1u, 600u, "seconds per healthz / duplicate-hint phase")
      .number("fresh", "K", a.fresh, 1u, 100'000u,
              "distinct freshly mined mint txs hinted once each")
      .number("rounds", "R", a.rounds, 1u, 100u, "healthz / duplicate phases, alternating");
  cl.parse(argc, argv);
  return a;
}

std::string tail(const std::string& text, std::size_t chars = 3000) {
  return text.size() <= chars ? text : text.substr(text.size() - chars);
}

double ms_since(SteadyClock::time_point t0, SteadyClock::time_point t1) {
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

std::unique_ptr<httplib::Client> make_client(unsigned short port) {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
  c->set_keep_alive(true);
  c->set_tcp_nodelay(true);
  c->set_connection_timeout(std::chrono::seconds(2));
  c->set_read_timeout(std::chrono::seconds(5));
  c->set_write_timeout(std::chrono::seconds(5));
  return c;
}

std::string hint_body(const std::string& tx) { return json{{"tx_hash", tx}}.dump(); }

// One timed request: the HTTP status (0 = transport error), the body and the answer time.
struct Answer {
  int status = 0;
  std::string body;
  double ms = 0;
};

Answer post_hint(httplib::Client& c, const std::string& body) {
  const auto t0 = SteadyClock::now();
  auto r = c.Post("/v1/claims", body, "application/json");
  Answer a;
  a.ms = ms_since(t0, SteadyClock::now());
  if (r) {
    a.status = r->status;
    a.body = std::move(r->body);
  }
  return a;
}

std::string answer_status(const Answer& a) {
  if (a.status == 0) return "transport_error";
  const json j = json::parse(a.body, nullptr, false);
  if (!j.is_object()) return "unparsable";
  if (j.contains("status") && j["status"].is_string()) return j["status"].get<std::string>();
  if (j.contains("error")) return "error:" + j["error"].value("code", "?");
  return "?";
}

// A sample of request answer times, plus how many of them were not the expected status.
struct Sample {
  std::vector<double> ms;
  std::uint64_t unexpected = 0;
  double wall_s = 0;
  void merge(const Sample& o) {
    ms.insert(ms.end(), o.ms.begin(), o.ms.end());
    unexpected += o.unexpected;
  }
};

// N threads each run `one(client, thread)` in a loop for `duration`; `one` returns true
// when the answer was the expected one. Wall time is the phase's.
Sample closed_loop(unsigned short port, unsigned threads, std::chrono::seconds duration,
                   const std::function<Answer(httplib::Client&, unsigned)>& request,
                   int expected_status) {
  std::vector<Sample> per(threads);
  std::vector<std::unique_ptr<httplib::Client>> clients;
  for (unsigned t = 0; t < threads; ++t) clients.push_back(make_client(port));
  // Open every connection before the clock starts.
  for (unsigned t = 0; t < threads; ++t) request(*clients[t], t);
  std::atomic<bool> go{false};
  const auto start = SteadyClock::now();
  const auto end = start + duration;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      while (!go) std::this_thread::yield();
      while (SteadyClock::now() < end) {
        const Answer a = request(*clients[t], t);
        per[t].ms.push_back(a.ms);
        if (a.status != expected_status) ++per[t].unexpected;
      }
    });
  }
  go = true;
  for (std::thread& th : pool) th.join();
  Sample all;
  all.wall_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
  for (const Sample& s : per) all.merge(s);
  return all;
}

// The fresh-hint phase: txs split round-robin over the threads; each thread hints its txs
// one after another, re-POSTing each until it is no longer "verifying".
struct FreshResult {
  std::vector<double> first_ms;    // answer time of the first POST of each tx
  std::vector<double> claimed_ms;  // first POST sent -> an answer "claimed"
  std::uint64_t reposts = 0;
  std::map<std::string, std::uint64_t> first_status;  // "202 verifying", "200 claimed", ...
  std::map<std::string, std::uint64_t> final_status;
  double wall_s = 0;
};

FreshResult fresh_phase(unsigned short port, unsigned threads,
                        const std::vector<std::string>& txs) {
  struct PerThread {
    FreshResult r;
  };
  std::vector<PerThread> per(threads);
  std::vector<std::unique_ptr<httplib::Client>> clients;
  for (unsigned t = 0; t < threads; ++t) {
    clients.push_back(make_client(port));
    clients[t]->Get("/healthz");  // open the connection before the clock starts
  }
  const auto start = SteadyClock::now();
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      FreshResult& r = per[t].r;
      httplib::Client& c = *clients[t];
      for (std::size_t i = t; i < txs.size(); i += threads) {
        const std::string body = hint_body(txs[i]);
        const auto t0 = SteadyClock::now();
        Answer a = post_hint(c, body);
        r.first_ms.push_back(a.ms);
        std::string s = answer_status(a);
        ++r.first_status[std::to_string(a.status) + " " + s];
        const auto deadline = t0 + kSettleTimeout;
        while ((s == "verifying" || s == "transport_error") && SteadyClock::now() < deadline) {
          std::this_thread::sleep_for(kRepost);
          a = post_hint(c, body);
          ++r.reposts;
          s = answer_status(a);
        }
        if (s == "claimed") r.claimed_ms.push_back(ms_since(t0, SteadyClock::now()));
        ++r.final_status[std::to_string(a.status) + " " + s];
      }
    });
  }
  for (std::thread& th : pool) th.join();
  FreshResult all;
  all.wall_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
  for (const PerThread& p : per) {
    all.first_ms.insert(all.first_ms.end(), p.r.first_ms.begin(), p.r.first_ms.end());
    all.claimed_ms.insert(all.claimed_ms.end(), p.r.claimed_ms.begin(), p.r.claimed_ms.end());
    all.reposts += p.r.reposts;
    for (const auto& [k, v] : p.r.first_status) all.first_status[k] += v;
    for (const auto& [k, v] : p.r.final_status) all.final_status[k] += v;
  }
  return all;
}

std::string row(const std::string& what, std::size_t n, double per_s, const std::vector<double>& ms,
                const std::string& note) {
  char buf[512];
  if (ms.empty()) {
    std::snprintf(buf, sizeof buf, "| %s | %zu | - | - | - | - | %s |", what.c_str(), n,
                  note.c_str());
  } else {
    std::snprintf(buf, sizeof buf, "| %s | %zu | %.0f | %.3f ms | %.3f ms | %.3f ms | %s |",
                  what.c_str(), n, per_s, testing::median(ms), testing::percentile(ms, 99),
                  *std::max_element(ms.begin(), ms.end()), note.c_str());
  }
  return buf;
}

std::string counts(const std::map<std::string, std::uint64_t>& m) {
  std::string out;
  for (const auto& [k, v] : m) out += (out.empty() ? "" : ", ") + k + ": " + std::to_string(v);
  return out;
}

int run_bench(const Args& args) {
  std::printf("load at start: %s\n", testing::uptime_line().c_str());
  const std::string binary = testing::claimsync_binary();  // fail early when it is not built
  testing::Anvil anvil;                                    // auto-mining: one block per tx
  const std::string nft = anvil.deploy_claim_nft();
  const std::uint64_t deploy_block = anvil.block_number();

  // Mint before the node starts: `threads` txs for the duplicate phase (claimed in the
  // warm-up) and `fresh` txs hinted in the timed fresh phase; each a mint to its own wallet.
  const std::size_t total = args.threads + args.fresh;
  std::vector<std::string> txs;
  txs.reserve(total);
  const auto mint_start = SteadyClock::now();
  for (std::size_t i = 0; i < total; ++i) {
    char wallet[43];
    std::snprintf(wallet, sizeof wallet, "0x%040zx", 0x1000 + i);
    txs.push_back(anvil.send_transaction(anvil.mint_tx(nft, wallet, 1 + i % 19, 1, i % 10)));
  }
  std::printf("anvil: ClaimNFT %s, %zu mint txs (one block each) in %.1f s; head %llu\n",
              nft.c_str(), total, ms_since(mint_start, SteadyClock::now()) / 1000,
              (unsigned long long)anvil.block_number());
  const std::vector<std::string> dup_txs(txs.begin(), txs.begin() + args.threads);
  const std::vector<std::string> fresh_txs(txs.begin() + args.threads, txs.end());

  testing::TempDir dir("claimsync-intake-bench");
  testing::BenchNodeConfig nc;
  nc.rpc_url = anvil.url();
  nc.chain_id = anvil.chain_id();
  nc.contract = nft;
  nc.start_block = deploy_block;
  nc.confirmations = 1'000'000;  // the follower never scans a block: only hints ingest
  nc.data_dir = dir.file("data");
  nc.sink_url = "sqlite://" + dir.file("sink.db");
  const unsigned short port = testing::free_loopback_port();
  const std::string config = dir.file("claimsync.toml");
  std::ofstream(config) << testing::render_bench_node_config(nc) << "\n[api]\nenabled = true\n"
                        << "listen = \"127.0.0.1:" << port << "\"\n"
                        << "rate_limit_per_s = 0\n";
  const auto check =
      testing::run_command({binary, "config", "check", "--config", config}, milliseconds(30'000));
  if (check.exit_code != 0)
    throw std::runtime_error("claimsync config check failed:\n" + check.output);

  testing::SpawnOptions so;
  so.output_file = dir.file("node.log");
  auto node = testing::ChildProcess::spawn({binary, "run", "--config", config}, so);
  auto fail = [&](const std::string& what) {
    return std::runtime_error(what + "; node log tail:\n" +
                              tail(testing::read_file(so.output_file)));
  };
  {
    auto c = make_client(port);
    if (!testing::wait_until(
            [&] {
              auto r = c->Get("/healthz");
              return (r && r->status == 200) || !node.running();
            },
            kReadyTimeout, milliseconds(50)) ||
        !node.running())
      throw fail("GET /healthz not 200 within 60 s of starting the node");
    // Warm-up: the duplicate phase's txs claimed.
    for (const std::string& tx : dup_txs) {
      std::string s;
      testing::wait_until(
          [&] {
            s = answer_status(post_hint(*c, hint_body(tx)));
            return s != "verifying" && s != "transport_error";
          },
          kSettleTimeout, milliseconds(5));
      if (s != "claimed") throw fail("warm-up hint " + tx + " answered " + s);
    }
  }
  std::printf(
      "node: claimsync run, api.enabled, api.rate_limit_per_s = 0 (no per-address limit; the "
      "default 20/s would throttle the bench), chain.confirmations = 1000000 (only hints "
      "ingest), api.workers / intake.workers at defaults (8 / 4), SQLite sink; %u client "
      "threads, keep-alive\n",
      args.threads);
  std::fflush(stdout);

  std::vector<std::string> dup_bodies;
  for (const std::string& tx : dup_txs) dup_bodies.push_back(hint_body(tx));
  const auto duration = std::chrono::seconds(args.duration_s);
  Sample healthz, dup;
  std::vector<std::string> round_lines;
  for (unsigned r = 0; r < args.rounds; ++r) {
    const Sample h = closed_loop(
        port, args.threads, duration,
        [](httplib::Client& c, unsigned) {
          const auto t0 = SteadyClock::now();
          auto res = c.Get("/healthz");
          return Answer{res ? res->status : 0, {}, ms_since(t0, SteadyClock::now())};
        },
        200);
    const Sample d = closed_loop(
        port, args.threads, duration,
        [&](httplib::Client& c, unsigned t) { return post_hint(c, dup_bodies[t]); }, 200);
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "round %u: GET /healthz %.0f req/s (p50 %.3f ms), duplicate hint %.0f hints/s "
                  "(p50 %.3f ms)",
                  r + 1, h.ms.size() / h.wall_s, testing::median(h.ms), d.ms.size() / d.wall_s,
                  testing::median(d.ms));
    std::printf("%s\n", buf);
    std::fflush(stdout);
    healthz.merge(h);
    healthz.wall_s += h.wall_s;
    dup.merge(d);
    dup.wall_s += d.wall_s;
    if (!node.running()) throw fail("claimsync exited during the measurement");
  }

  const FreshResult fresh = fresh_phase(port, args.threads, fresh_txs);
  if (!node.running()) throw fail("claimsync exited during the measurement");
  const std::string load_end = testing::uptime_line();
  const int rc = node.stop(milliseconds(15'000));

  const double healthz_rate = healthz.ms.size() / healthz.wall_s;
  const double dup_rate = dup.ms.size() / dup.wall_s;
  const double fresh_rate = fresh.claimed_ms.size() / fresh.wall_s;
  std::size_t slow_first = 0;
  for (double ms : fresh.first_ms) slow_first += ms > kFirstAnswerTargetMs ? 1 : 0;

  std::printf(
      "\n| request | n | per s | p50 | p99 | max | notes |\n|---|---|---|---|---|---|---|\n");
  std::printf("%s\n", row("GET /healthz (baseline)", healthz.ms.size(), healthz_rate, healthz.ms,
                          "not 200: " + std::to_string(healthz.unexpected))
                          .c_str());
  std::printf("%s\n", row("POST duplicate hint (claimed tx)", dup.ms.size(), dup_rate, dup.ms,
                          "not 200: " + std::to_string(dup.unexpected))
                          .c_str());
  std::printf("%s\n", row("POST fresh hint: first answer", fresh.first_ms.size(),
                          fresh.first_ms.size() / fresh.wall_s, fresh.first_ms,
                          counts(fresh.first_status) + "; > " +
                              std::to_string(static_cast<int>(kFirstAnswerTargetMs)) +
                              " ms: " + std::to_string(slow_first))
                          .c_str());
  std::printf("%s\n",
              row("POST fresh hint: sent -> \"claimed\"", fresh.claimed_ms.size(), fresh_rate,
                  fresh.claimed_ms,
                  counts(fresh.final_status) + "; re-POSTs: " + std::to_string(fresh.reposts))
                  .c_str());
  std::printf("\nratios (same run, same server, same %u clients):\n", args.threads);
  std::printf(
      "  POST duplicate hint = %.2f x GET /healthz (p50 answer time), %.2f x (p99); "
      "throughput %.2f x healthz's\n",
      testing::median(dup.ms) / testing::median(healthz.ms),
      testing::percentile(dup.ms, 99) / testing::percentile(healthz.ms, 99),
      dup_rate / healthz_rate);
  if (!fresh.first_ms.empty())
    std::printf("  POST fresh hint, first answer = %.2f x GET /healthz (p50)\n",
                testing::median(fresh.first_ms) / testing::median(healthz.ms));
  std::printf("  fresh hints claimed: %.0f /s sustained (%zu in %.2f s)\n", fresh_rate,
              fresh.claimed_ms.size(), fresh.wall_s);
  std::printf("node exit status %d\nload at end: %s\n", rc, load_end.c_str());
  return fresh.claimed_ms.size() == fresh_txs.size() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  try {
    return run_bench(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "intake_bench: %s\n", e.what());
    return 1;
  }
}
