// Webhook burst benchmark (issue 13): bursts of signed provider deliveries against a real
// `claimsync run` that keeps syncing (anvil with auto-mining, a miner thread sending a
// mintMany every --mine-ms during the bursts, chain.confirmations = 0, SQLite sink), every
// webhook provider configured. Per provider, --deliveries distinct deliveries (own ids or
// nonces), each the logs of one real mint tx, signed with the scheme table's signer, sent
// by --threads client threads as fast as they are answered (closed loop, keep-alive).
// GET /healthz in the same run, same clients, is the transport's baseline.
//
// Each provider's answer time (p50, p99, max) is compared with its deadline: thirdweb
// Insight 3 s (reference §1a), thirdweb unified 10 s (§1b), Standard Webhooks 15 s (the
// spec's recommended sender timeout, §3); Alchemy, QuickNode and Moralis publish none in
// the stored sources, so thirdweb's 3 s, the strictest, is used for them.
//
//   webhook_bench [--deliveries N] [--threads T] [--txs K] [--mine-ms M] [--help]
//
// Results: bench/RESULTS.md ("2026-12-01, session 7: webhook bursts (issue 13)").
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/bench_options.hpp"
#include "node/webhooks/webhook_scheme.hpp"
#include "node/webhooks/webhook_verifier.hpp"
#include "tests/support/anvil.hpp"
#include "tests/support/bench_node.hpp"
#include "tests/support/process.hpp"
#include "tests/support/webhook_bodies.hpp"

using namespace claimsync;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr auto kReadyTimeout = milliseconds(60'000);

struct Args {
  unsigned deliveries = 1000;
  unsigned threads = 8;
  unsigned txs = 200;
  unsigned mine_ms = 50;
};

Args parse_args(int argc, char** argv) {
  Args a;
  bench::BenchOptions cl("webhook_bench",
                         "[--deliveries N] [--threads T] [--txs K] [--mine-ms M] [--help]",
                         "Bursts of signed provider webhook deliveries against a real "
                         "`claimsync run` that keeps syncing.");
  cl.number("deliveries", "N", a.deliveries, 1u, 1'000'000u, "signed deliveries per provider");
  bench::add_threads(cl, a.threads);
  cl.number("txs", "K", a.txs, 1u, 100'000u, "distinct mint txs the deliveries point at")
      .number("mine-ms", "M", a.mine_ms, 5u, 60'000u, "a mintMany tx every M ms during the bursts");
  cl.parse(argc, argv);
  return a;
}

double ms_since(SteadyClock::time_point t0, SteadyClock::time_point t1) {
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

std::unique_ptr<httplib::Client> make_client(unsigned short port) {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
  c->set_keep_alive(true);
  c->set_tcp_nodelay(true);
  c->set_connection_timeout(std::chrono::seconds(2));
  c->set_read_timeout(std::chrono::seconds(20));
  c->set_write_timeout(std::chrono::seconds(5));
  return c;
}

struct Provider {
  std::string name;     // route
  std::string variant;  // body shape
  std::string secret;
  double deadline_ms;
};

const std::vector<Provider> kProviders = {
    {"thirdweb", "thirdweb-unified", "whsecret_bench_thirdweb", 3'000},
    {"alchemy", "alchemy-nft", "alchemy_bench_signing_key", 3'000},
    {"quicknode", "quicknode", "qn_bench_security_token", 3'000},
    {"standard", "standard", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 15'000},
    {"moralis", "moralis", "moralis_bench_secret", 3'000},
};
constexpr const char* kNetwork = "ANVIL_LOCAL";

struct Delivery {
  std::string path, body;
  httplib::Headers headers;
};

std::vector<testing::FixtureLog> logs_of(testing::Anvil& chain, const std::string& tx) {
  return testing::fixture_logs_of_receipt(chain.chain_id(), chain.wait_receipt(tx));
}

Delivery make_delivery(const Provider& p, const std::vector<testing::FixtureLog>& logs,
                       std::size_t seq, std::int64_t ts) {
  const std::string id = p.name + "_" + std::to_string(seq);
  std::string body;
  if (p.variant == "thirdweb-unified") body = testing::thirdweb_unified_body("evt_" + id, logs);
  if (p.variant == "alchemy-nft")
    body = testing::alchemy_nft_activity_body("whevt_" + id, kNetwork, logs);
  if (p.variant == "quicknode") body = testing::quicknode_logs_body(kNetwork, logs);
  if (p.variant == "standard") body = testing::standard_claim_hint_body(logs);
  if (p.variant == "moralis") {
    // Moralis has no delivery id: a distinct tag keeps the bodies (and their hashes) apart.
    json j = json::parse(testing::moralis_body(true, logs));
    j["tag"] = id;
    body = j.dump();
  }
  const auto scheme = node::select_webhook_scheme(p.name, [](std::string_view) { return true; });
  if (!scheme) throw std::runtime_error("no scheme for " + p.name);
  Delivery d{"/v1/webhooks/" + p.name, body, {}};
  const std::string t = std::to_string(ts);
  d.headers.emplace(std::string(scheme->signature_header),
                    node::sign_webhook_delivery(*scheme, p.secret, id, t, body));
  if (!scheme->timestamp_header.empty())
    d.headers.emplace(std::string(scheme->timestamp_header), t);
  if (!scheme->id_header.empty()) d.headers.emplace(std::string(scheme->id_header), id);
  return d;
}

struct Sample {
  std::vector<double> ms;
  std::map<int, std::uint64_t> statuses;
  double wall_s = 0;
};

// `count` requests over `threads` keep-alive clients, each taking the next index.
template <typename Request>
Sample burst(unsigned short port, unsigned threads, std::size_t count, Request request) {
  std::atomic<std::size_t> next{0};
  std::vector<Sample> per(threads);
  const auto t0 = SteadyClock::now();
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      auto c = make_client(port);
      for (std::size_t i = next++; i < count; i = next++) {
        const auto s = SteadyClock::now();
        const int status = request(*c, i);
        per[t].ms.push_back(ms_since(s, SteadyClock::now()));
        ++per[t].statuses[status];
      }
    });
  }
  for (auto& th : pool) th.join();
  Sample all;
  all.wall_s = ms_since(t0, SteadyClock::now()) / 1000;
  for (const Sample& s : per) {
    all.ms.insert(all.ms.end(), s.ms.begin(), s.ms.end());
    for (const auto& [k, v] : s.statuses) all.statuses[k] += v;
  }
  return all;
}

std::string statuses(const Sample& s) {
  std::string out;
  for (const auto& [k, v] : s.statuses)
    out += (out.empty() ? "" : " ") + std::to_string(v) + "x" + std::to_string(k);
  return out;
}

std::optional<std::uint64_t> checkpoint(httplib::Client& c) {
  auto r = c.Get("/v1/status");
  if (!r || r->status != 200) return std::nullopt;
  const json j = json::parse(r->body, nullptr, false);
  if (!j.is_object() || !j["chain"]["checkpoint"].is_number()) return std::nullopt;
  return j["chain"]["checkpoint"].get<std::uint64_t>();
}

int run_bench(const Args& args) {
  std::printf("load at start: %s\n", testing::uptime_line().c_str());
  const std::string binary = testing::claimsync_binary();
  testing::Anvil anvil;  // auto-mining: one block per tx
  const std::string nft = anvil.deploy_claim_nft();
  const std::uint64_t deploy_block = anvil.block_number();
  std::vector<std::string> txs;
  for (std::size_t i = 0; i < args.txs; ++i) {
    char wallet[43];
    std::snprintf(wallet, sizeof wallet, "0x%040zx", 0x2000 + i);
    txs.push_back(anvil.send_transaction(anvil.mint_tx(nft, wallet, 1 + i % 19, 1, i % 10)));
  }
  std::vector<std::vector<testing::FixtureLog>> logs;
  for (const std::string& tx : txs) logs.push_back(logs_of(anvil, tx));

  testing::TempDir dir("claimsync-webhook-bench");
  testing::BenchNodeConfig nc;
  nc.rpc_url = anvil.url();
  nc.chain_id = anvil.chain_id();
  nc.contract = nft;
  nc.start_block = deploy_block;
  nc.confirmations = 0;  // the follower keeps syncing the miner's blocks during the bursts
  nc.data_dir = dir.file("data");
  nc.sink_url = "sqlite://" + dir.file("sink.db");
  const unsigned short port = testing::free_loopback_port();
  const std::string config = dir.file("claimsync.toml");
  {
    std::ofstream toml(config);
    toml << testing::render_bench_node_config(nc) << "\n[api]\nenabled = true\n"
         << "listen = \"127.0.0.1:" << port << "\"\n";
    for (const Provider& p : kProviders) {
      const std::string env = "CLAIMSYNC_BENCH_" + p.name + "_SECRET";
      ::setenv(env.c_str(), p.secret.c_str(), 1);
      toml << "\n[webhooks." << p.name << "]\nsecret_env = \"" << env << "\"\nnetwork = \""
           << kNetwork << "\"\n";
    }
  }
  testing::SpawnOptions so;
  so.output_file = dir.file("node.log");
  auto node = testing::ChildProcess::spawn({binary, "run", "--config", config}, so);
  auto c = make_client(port);
  if (!testing::wait_until(
          [&] {
            auto r = c->Get("/healthz");
            return (r && r->status == 200) || !node.running();
          },
          kReadyTimeout, milliseconds(50)) ||
      !node.running())
    throw std::runtime_error("GET /healthz not 200 within 60 s:\n" +
                             testing::read_file(so.output_file));

  // Sign everything before the clock starts (signing is the sender's cost, not ours).
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  std::map<std::string, std::vector<Delivery>> deliveries;
  for (const Provider& p : kProviders)
    for (std::size_t i = 0; i < args.deliveries; ++i)
      deliveries[p.name].push_back(make_delivery(p, logs[i % logs.size()], i, now));

  // The miner: a mintMany of 10 mints every --mine-ms, so the follower has blocks to scan
  // and claims to replicate while the bursts run (anvil is used by this thread only now).
  std::atomic<bool> mining{true};
  std::atomic<std::uint64_t> mined{0};
  std::thread miner([&] {
    std::uint64_t n = 0;
    while (mining.load()) {
      std::vector<std::string> to;
      std::vector<std::uint64_t> ids, amounts;
      for (int k = 0; k < 10; ++k, ++n) {
        char wallet[43];
        std::snprintf(wallet, sizeof wallet, "0x%040llx", 0x900000ull + n);
        to.push_back(wallet);
        ids.push_back(1 + n % 19);
        amounts.push_back(1);
      }
      try {
        anvil.send_transaction(testing::mint_many_tx(anvil, nft, to, ids, amounts, 0));
        mined += 10;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "miner: %s\n", e.what());
      }
      std::this_thread::sleep_for(milliseconds(args.mine_ms));  // the bench's own pacing
    }
  });
  std::printf(
      "node: claimsync run, confirmations 0, SQLite sink, 5 webhook providers; %u "
      "client threads; %u deliveries per provider over %u mint txs; a mintMany of 10 "
      "every %u ms meanwhile\n",
      args.threads, args.deliveries, args.txs, args.mine_ms);
  std::fflush(stdout);

  const Sample healthz =
      burst(port, args.threads, args.deliveries, [](httplib::Client& cl, std::size_t) {
        auto r = cl.Get("/healthz");
        return r ? r->status : 0;
      });
  const auto cp0 = checkpoint(*c);
  std::map<std::string, Sample> results;
  for (const Provider& p : kProviders) {
    const auto& list = deliveries[p.name];
    results[p.name] =
        burst(port, args.threads, list.size(), [&](httplib::Client& cl, std::size_t i) {
          auto r = cl.Post(list[i].path, list[i].headers, list[i].body, "application/json");
          return r ? r->status : 0;
        });
  }
  const auto cp1 = checkpoint(*c);
  mining = false;
  miner.join();
  const std::string load_end = testing::uptime_line();
  const int rc = node.stop(milliseconds(15'000));

  std::printf(
      "\n| request | n | per s | p50 | p99 | max | deadline | p99 / deadline | statuses |\n"
      "|---|---|---|---|---|---|---|---|---|\n");
  auto row = [&](const std::string& what, const Sample& s, double deadline) {
    std::printf(
        "| %s | %zu | %.0f | %.3f ms | %.3f ms | %.3f ms | %s | %s | %s |\n", what.c_str(),
        s.ms.size(), s.ms.size() / s.wall_s, testing::median(s.ms), testing::percentile(s.ms, 99),
        *std::max_element(s.ms.begin(), s.ms.end()),
        deadline > 0 ? (std::to_string(static_cast<int>(deadline / 1000)) + " s").c_str() : "-",
        deadline > 0 ? std::to_string(testing::percentile(s.ms, 99) / deadline).c_str() : "-",
        statuses(s).c_str());
  };
  row("GET /healthz (baseline)", healthz, 0);
  bool ok = true;
  for (const Provider& p : kProviders) {
    const Sample& s = results[p.name];
    row("POST /v1/webhooks/" + p.name, s, p.deadline_ms);
    ok = ok && s.statuses.size() == 1 && s.statuses.count(200) == 1 &&
         testing::percentile(s.ms, 99) < p.deadline_ms;
  }
  std::printf("\nratios (same run): p99 webhook / p99 GET /healthz:");
  for (const Provider& p : kProviders)
    std::printf(" %s %.2f", p.name.c_str(),
                testing::percentile(results[p.name].ms, 99) / testing::percentile(healthz.ms, 99));
  std::printf("\nfollower checkpoint during the bursts: %s -> %s (%llu mints sent meanwhile)\n",
              cp0 ? std::to_string(*cp0).c_str() : "?", cp1 ? std::to_string(*cp1).c_str() : "?",
              static_cast<unsigned long long>(mined.load()));
  ok = ok && cp0 && cp1 && *cp1 > *cp0;
  std::printf("node exit status %d\nload at end: %s\n", rc, load_end.c_str());
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  try {
    return run_bench(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "webhook_bench: %s\n", e.what());
    return 1;
  }
}
