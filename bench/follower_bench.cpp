// Follower backfill benchmark against a real anvil: N blocks holding M mints each
// (TransferSingle, random wallets and levels), then, in the same run and alternating:
//   * raw sweep: one eth_getLogs over the whole range with the follower's filter, by
//     plain HTTP + JSON parsing (the floor any follower pays);
//   * client sweep: the same through RpcChainSource::logs (validation, decoding);
//   * follower: a fresh node store (synced RocksDB on disk) backfilled by Follower::step()
//     with the production defaults (range span = rpc.logs_max_span), until idle.
// Reports claims/s, blocks/s and the ratio follower / raw sweep (target <= 1.5).
//
//   follower_bench [--blocks N] [--mints-per-block M] [--runs R] [--state FILE] [--help]
//
// Filling anvil takes ~5 min for 20,000 mints (anvil signs every tx); with --state the
// filled chain is dumped to FILE on exit and loaded from it next time.
//
// Results: bench/RESULTS.md ("Follower backfill").
#include <httplib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <chrono>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/bench_options.hpp"
#include "node/config.hpp"
#include "node/follower.hpp"
#include "rpc/erc1155.hpp"
#include "rpc/logging.hpp"
#include "rpc/rpc_chain_source.hpp"
#include "storage/node_store.hpp"
#include "tests/support/anvil.hpp"
#include "tests/support/bench_node.hpp"
#include "tests/support/process.hpp"

using namespace claimsync;
using nlohmann::json;

namespace {

struct Args {
  std::uint64_t blocks = 2000;
  std::uint64_t mints_per_block = 10;
  int runs = 3;
  std::string state;  // anvil state file: reused when present, else written on exit
};

Args parse_args(int argc, char** argv) {
  Args a;
  bench::BenchOptions cl(
      "follower_bench", "[--blocks N] [--mints-per-block M] [--runs R] [--state FILE] [--help]",
      "Follower backfill against a real anvil: raw sweep, client sweep and Follower::step(), "
      "alternating.");
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  cl.number("blocks", "N", a.blocks, std::uint64_t{1}, kMax, "blocks holding mints")
      .number("mints-per-block", "M", a.mints_per_block, std::uint64_t{1}, kMax,
              "mints in each block");
  bench::add_runs(cl, a.runs, "alternating runs of raw sweep / client sweep / follower; medians");
  bench::add_state(cl, a.state);
  cl.parse(argc, argv);
  return a;
}

template <typename T>
T must(Result<T> r) {
  if (!r.ok()) throw std::runtime_error(r.status().to_string());
  return std::move(r.value());
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string random_wallet(std::uint64_t& state) {
  std::string w = "0x";
  for (int i = 0; i < 40; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    w += "0123456789abcdef"[(state >> 33) % 16];
  }
  return w;
}

// Fills `blocks` blocks with `per_block` mints each: one JSON-RPC batch of
// eth_sendTransaction per block (anvil runs with --no-mining), then anvil_mine.
void fill_chain(testing::Anvil& anvil, const std::string& nft, const Args& args) {
  httplib::Client http("127.0.0.1", anvil.port());
  http.set_read_timeout(std::chrono::seconds(60));
  std::uint64_t state = 42;
  for (std::uint64_t b = 0; b < args.blocks; ++b) {
    json batch = json::array();
    for (std::uint64_t i = 0; i < args.mints_per_block; ++i) {
      const std::uint64_t level = 1 + (state >> 40) % 19;
      json tx = anvil.mint_tx(nft, random_wallet(state), level, 1, 1 + i % 9);
      batch.push_back(
          {{"jsonrpc", "2.0"}, {"id", i}, {"method", "eth_sendTransaction"}, {"params", {tx}}});
    }
    auto res = http.Post("/", batch.dump(), "application/json");
    if (!res || res->status != 200) throw std::runtime_error("eth_sendTransaction batch failed");
    for (const json& r : json::parse(res->body)) {
      if (!r.contains("result")) throw std::runtime_error("tx refused: " + r.dump());
    }
    anvil.mine(1);
  }
}

// One eth_getLogs by plain HTTP; returns the number of logs.
std::size_t raw_sweep(const testing::Anvil& anvil, const std::string& nft, std::uint64_t from,
                      std::uint64_t to) {
  httplib::Client http("127.0.0.1", anvil.port());
  http.set_read_timeout(std::chrono::seconds(120));
  json req = {{"jsonrpc", "2.0"},
              {"id", 1},
              {"method", "eth_getLogs"},
              {"params", {testing::mint_filter_json(nft, from, to)}}};
  auto res = http.Post("/", req.dump(), "application/json");
  if (!res || res->status != 200) throw std::runtime_error("eth_getLogs failed");
  return json::parse(res->body).at("result").size();
}

std::size_t client_sweep(eth::RpcChainSource& chain, const eth::Address& nft, std::uint64_t from,
                         std::uint64_t to) {
  eth::LogFilter f;
  f.address = nft;
  f.topics = {{eth::transfer_single_topic(), eth::transfer_batch_topic()}, {}, {eth::Hash32()}};
  f.from_block = from;
  f.to_block = to;
  return must(chain.logs(f)).size();
}

struct FollowerRun {
  double seconds = 0;
  std::uint64_t claims = 0;
  std::uint64_t ranges = 0;
};

FollowerRun follower_backfill(eth::ChainSource& chain, const node::Config& config) {
  testing::TempDir dir("claimsync-follower-bench");  // on disk: fsync as in production
  auto store = must(store::NodeStore::open(
      dir.file("data"), {config.chain.chain_id, config.chain.contract, config.chain.start_block}));
  SystemClock clock;
  node::Follower follower(chain, *store, clock, node::follower_options(config));
  const auto t0 = std::chrono::steady_clock::now();
  FollowerRun run;
  for (;;) {
    auto step = must(follower.step());
    if (step.kind == node::FollowerStepKind::kIdle) break;
    run.claims += step.commit.claims_new;
    if (step.kind == node::FollowerStepKind::kCommitted) ++run.ranges;
  }
  run.seconds = seconds_since(t0);
  return run;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  set_log_level(LogLevel::kWarn);
  testing::AnvilOptions ao;
  ao.no_mining = true;
  const bool reuse = !args.state.empty() && std::filesystem::exists(args.state);
  if (reuse)
    ao.extra_args = {"--load-state", args.state};
  else if (!args.state.empty())
    ao.extra_args = {"--dump-state", args.state};
  testing::Anvil anvil(ao);
  std::string nft;
  std::uint64_t first = 0, last = 0;
  auto t_fill = std::chrono::steady_clock::now();
  if (reuse) {
    json meta = json::parse(testing::read_file(args.state + ".meta"));
    nft = meta["contract"];
    first = meta["first"];
    last = meta["last"];
  } else {
    nft = anvil.deploy_claim_nft();
    first = anvil.block_number() + 1;
    fill_chain(anvil, nft, args);
    last = anvil.block_number();
    if (!args.state.empty())
      std::ofstream(args.state + ".meta")
          << json{{"contract", nft}, {"first", first}, {"last", last}}.dump();
  }
  std::printf("chain: blocks %llu..%llu, %llu mints (filled in %.1f s)\n",
              (unsigned long long)first, (unsigned long long)last,
              (unsigned long long)(args.blocks * args.mints_per_block), seconds_since(t_fill));

  node::Config config;
  config.chain.rpc_urls = {anvil.url()};
  config.chain.chain_id = anvil.chain_id();
  config.chain.contract = must(eth::Address::parse(nft));
  config.chain.start_block = first;
  config.chain.confirmations = 0;
  for (std::uint32_t l = 1; l <= 19; ++l) config.chain.levels.push_back(l);
  SystemClock clock;
  eth::JsonRpcClientOptions co;
  co.urls = config.chain.rpc_urls;
  co.chain_id = config.chain.chain_id;
  auto chain = must(eth::RpcChainSource::create(co, clock));

  std::vector<double> raw, client, follow;
  FollowerRun last_run;
  for (int r = 0; r < args.runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    const std::size_t n_raw = raw_sweep(anvil, nft, first, last);
    raw.push_back(seconds_since(t0));
    t0 = std::chrono::steady_clock::now();
    const std::size_t n_client = client_sweep(*chain, config.chain.contract, first, last);
    client.push_back(seconds_since(t0));
    last_run = follower_backfill(*chain, config);
    follow.push_back(last_run.seconds);
    std::printf(
        "run %d: raw %.3f s (%zu logs), client %.3f s (%zu logs), follower %.3f s (%llu claims, "
        "%llu ranges)\n",
        r + 1, raw.back(), n_raw, client.back(), n_client, follow.back(),
        (unsigned long long)last_run.claims, (unsigned long long)last_run.ranges);
    if (last_run.claims != args.blocks * args.mints_per_block) {
      std::fprintf(stderr, "follower found %llu claims, expected %llu\n",
                   (unsigned long long)last_run.claims,
                   (unsigned long long)(args.blocks * args.mints_per_block));
      return 1;
    }
  }
  const double f = median(follow), rs = median(raw), cs = median(client);
  const double blocks = static_cast<double>(last - first + 1);
  std::printf("\nmedian of %d: raw sweep %.3f s | client sweep %.3f s | follower %.3f s\n",
              args.runs, rs, cs, f);
  std::printf(
      "follower: %.0f claims/s, %.0f blocks/s; ratio follower/raw sweep %.2f, follower/client "
      "sweep %.2f\n",
      static_cast<double>(last_run.claims) / f, blocks / f, f / rs, f / cs);
  return 0;
}
