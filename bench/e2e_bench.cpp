// End-to-end backfill benchmark: the real `claimsync run` binary backfilling N mints from a
// real anvil into a real PostgreSQL, compared in the same run (alternating, R times,
// medians) with the floors any indexer pays:
//   * node:  process start -> the last membership row (and every ledger row) visible in
//            Postgres (polled every ~10 ms), fresh database and data dir each run;
//   * sweep: one eth_getLogs over the whole range by plain HTTP + JSON DOM parse (chunked
//            for large N, so one answer stays below ~50,000 logs);
//   * COPY:  exactly the rows the node wrote (users, members, membership,
//            claim_sync_queue; exported untimed) COPYed FROM STDIN into a freshly migrated
//            database (same indexes, CHECKs, keys), one transaction;
//   * Ponder (--ponder): bench/ponder/run.sh over the same range into its own database,
//            twice: as shipped (its default 50 req/s RPC cap) and with the cap at 10,000.
// Prints node s, sweep s, COPY s, node / (sweep + COPY) (target <= 1.5), Ponder / node
// (target >= 10), claims/s, and the node's peak RSS (VmHWM); with --rss-table (default for
// N >= 100,000) also RSS sampled every second.
//
//   e2e_bench [--mints N] [--blocks B] [--per-tx K] [--runs R] [--state FILE] [--ponder]
//             [--repeat-share F] [--timeout-s S] [--rss-table] [--fill-only]
//             [--write-connections N] [--max-batch-size N] [--node-log-level L] [--help]
//
// The chain: ClaimNFT.mintMany transactions (one TransferSingle per mint, K mints per tx)
// sent as JSON-RPC batches of eth_sendTransaction from anvil's dev accounts, anvil with
// --no-mining, one anvil_mine per block. Wallets random with F (default 0.3) of the mints
// going to an earlier wallet, levels 1..19. With --state FILE the chain is dumped to FILE
// when anvil exits and loaded from it next time (FILE.meta holds what the bench needs).
// Filling takes ~1 min for 20,000 mints over 800 blocks and ~4 min for 1,000,000 over 100
// blocks (anvil's cost per block grows with its state; the 1M state file is 1.6 GB).
// Keep state files and TMPDIR out of a /tmp that other jobs clean up (build/ is ignored):
//   TMPDIR=build/tmp e2e_bench --state build/e2e-state/e2e-20k.json
//   TMPDIR=build/tmp e2e_bench --mints 1000000 --blocks 100 --runs 1 --timeout-s 1500
//       --state build/e2e-state/e2e-1m.json
//
// Results: bench/RESULTS.md ("End-to-end backfill and live latency").
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/bench_options.hpp"
#include "rpc/erc1155.hpp"
#include "rpc/logging.hpp"
#include "rpc/uint256.hpp"
#include "storage/migration_runner.hpp"
#include "storage/pg_connection.hpp"
#include "tests/support/anvil.hpp"
#include "tests/support/bench_node.hpp"
#include "tests/support/pg_cluster.hpp"
#include "tests/support/pg_copy.hpp"
#include "tests/support/process.hpp"

using namespace claimsync;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Args {
  std::uint64_t mints = 20'000;
  std::uint64_t blocks = 800;
  std::uint64_t per_tx = 500;
  int runs = 3;
  std::string state;
  bool ponder = false;
  double repeat_share = 0.3;
  std::uint64_t timeout_s = 600;
  bool rss_table = false;
  bool fill_only = false;
  std::string node_log_level = "info";
  std::uint64_t write_connections = 0;
  std::uint64_t max_batch_size = 0;
};

Args parse_args(int argc, char** argv) {
  Args a;
  bench::BenchOptions cl(
      "e2e_bench",
      "[--mints N] [--blocks B] [--per-tx K] [--runs R] [--state FILE] [--ponder]\n"
      "                 [--repeat-share F] [--timeout-s S] [--rss-table] [--fill-only]\n"
      "                 [--write-connections N] [--max-batch-size N] [--node-log-level L]\n"
      "                 [--help]",
      "End-to-end backfill: `claimsync run` against a filled anvil into PostgreSQL, beside a "
      "raw sweep and a raw COPY (and Ponder).");
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  cl.number("mints", "N", a.mints, std::uint64_t{0}, kMax, "mints on the chain")
      .number("blocks", "B", a.blocks, std::uint64_t{1}, kMax,
              "blocks they are spread over (anvil's cost per block grows with its state: "
              "fill 1M mints into ~100 blocks)")
      .number("per-tx", "K", a.per_tx, std::uint64_t{1}, kMax, "mints per mintMany transaction");
  bench::add_runs(cl, a.runs, "alternating runs of node / sweep / COPY (/ Ponder); medians");
  bench::add_state(cl, a.state);
  cl.flag("ponder", a.ponder, "also run bench/ponder/run.sh (skipped with a message when missing)")
      .number("repeat-share", "F", a.repeat_share, 0.0, 1.0, "share of mints to an earlier wallet")
      .number("timeout-s", "S", a.timeout_s, std::uint64_t{1}, kMax,
              "deadline of one node run and one Ponder run")
      .flag("rss-table", a.rss_table, "print the node's RSS every second (on for N >= 100000)")
      .flag("fill-only", a.fill_only,
            "stop after filling the chain (with --state: prepare the state file)")
      .number("write-connections", "N", a.write_connections, std::uint64_t{0}, std::uint64_t{8},
              "the node's sink.write_connections (0: its default, 2 on Postgres)")
      .number("max-batch-size", "N", a.max_batch_size, std::uint64_t{0}, std::uint64_t{100'000},
              "the node's replicator.max_batch_size (0: its default)")
      .text("node-log-level", "L", a.node_log_level,
            "the node's [log] level (debug shows where its time goes; with "
            "CLAIMSYNC_KEEP_TEST_DIRS=1 its node.log is kept)");
  cl.parse(argc, argv);
  if (a.mints >= 100'000) a.rss_table = true;
  return a;
}

double seconds_since(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

template <typename T>
T must(Result<T> r, const std::string& what) {
  if (!r.ok()) throw std::runtime_error(what + ": " + r.status().to_string());
  return std::move(r).value();
}

// --- the chain ------------------------------------------------------------------------------

struct Mint {
  std::string wallet;
  std::uint64_t level = 0;
};

// What a complete backfill leaves in Postgres.
struct Expected {
  std::uint64_t claims = 0;      // claim_sync_queue rows
  std::uint64_t membership = 0;  // distinct (wallet, level)
  std::uint64_t wallets = 0;     // users / members rows
};

std::vector<Mint> make_mints(std::uint64_t n, double repeat_share) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> coin(0, 1);
  std::vector<std::string> wallets;
  std::vector<Mint> mints;
  mints.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    Mint m;
    if (!wallets.empty() && coin(rng) < repeat_share) {
      m.wallet = wallets[rng() % wallets.size()];
    } else {
      m.wallet = "0x";
      for (int c = 0; c < 40; ++c) m.wallet += "0123456789abcdef"[rng() % 16];
      wallets.push_back(m.wallet);
    }
    m.level = 1 + rng() % 19;
    mints.push_back(std::move(m));
  }
  return mints;
}

Expected expected_rows(const std::vector<Mint>& mints) {
  std::unordered_set<std::string> pairs, wallets;
  for (const Mint& m : mints) {
    pairs.insert(m.wallet + ":" + std::to_string(m.level));
    wallets.insert(m.wallet);
  }
  return {mints.size(), pairs.size(), wallets.size()};
}

struct Chain {
  std::string contract;
  std::uint64_t deploy_block = 0, first = 0, last = 0;
  Expected expected;
};

httplib::Client rpc_client(const testing::Anvil& anvil, int read_timeout_s) {
  httplib::Client http("127.0.0.1", anvil.port());
  http.set_read_timeout(std::chrono::seconds(read_timeout_s));
  http.set_write_timeout(std::chrono::seconds(60));
  http.set_keep_alive(true);
  http.set_tcp_nodelay(true);
  return http;
}

// Spreads the mints over `blocks` blocks: per block, one JSON-RPC batch of mintMany
// transactions of up to `per_tx` mints (from dev accounts 1..9 in turn), then anvil_mine.
void fill_chain(testing::Anvil& anvil, const std::string& nft, const std::vector<Mint>& mints,
                const Args& args) {
  httplib::Client http = rpc_client(anvil, 300);
  const std::uint64_t per_block = (mints.size() + args.blocks - 1) / args.blocks;
  const auto t0 = SteadyClock::now();
  std::size_t next = 0, tx_index = 0, report_at = mints.size() / 10;
  while (next < mints.size()) {
    const std::size_t block_end = std::min<std::size_t>(mints.size(), next + per_block);
    json batch = json::array();
    while (next < block_end) {
      const std::size_t tx_end = std::min<std::size_t>(block_end, next + args.per_tx);
      std::vector<std::string> to;
      std::vector<std::uint64_t> ids, amounts;
      for (; next < tx_end; ++next) {
        to.push_back(mints[next].wallet);
        ids.push_back(mints[next].level);
        amounts.push_back(1);
      }
      json tx = testing::mint_many_tx(anvil, nft, to, ids, amounts, 1 + tx_index++ % 9);
      batch.push_back({{"jsonrpc", "2.0"},
                       {"id", batch.size()},
                       {"method", "eth_sendTransaction"},
                       {"params", {tx}}});
    }
    auto res = http.Post("/", batch.dump(), "application/json");
    if (!res || res->status != 200) throw std::runtime_error("eth_sendTransaction batch failed");
    for (const json& r : json::parse(res->body))
      if (!r.contains("result")) throw std::runtime_error("tx refused: " + r.dump());
    anvil.mine(1);
    if (mints.size() >= 100'000 && next >= report_at) {
      std::printf("  filled %zu / %zu mints (%.0f s)\n", next, mints.size(), seconds_since(t0));
      std::fflush(stdout);
      report_at += mints.size() / 10;
    }
  }
}

Chain prepare_chain(testing::Anvil& anvil, const Args& args, bool reuse) {
  Chain c;
  if (reuse) {
    const json meta = json::parse(testing::read_file(args.state + ".meta"));
    if (meta.at("mints").get<std::uint64_t>() != args.mints)
      throw std::runtime_error("state file " + args.state + " holds " + meta.at("mints").dump() +
                               " mints: delete it (and its .meta) or pass --mints " +
                               meta.at("mints").dump());
    c.contract = meta.at("contract");
    c.deploy_block = meta.at("deploy_block");
    c.first = meta.at("first");
    c.last = meta.at("last");
    c.expected = {meta.at("mints"), meta.at("membership"), meta.at("wallets")};
    if (anvil.block_number() < c.last)
      throw std::runtime_error("state file " + args.state + " did not load all blocks");
    return c;
  }
  const std::vector<Mint> mints = make_mints(args.mints, args.repeat_share);
  c.expected = expected_rows(mints);
  c.contract = anvil.deploy_claim_nft();
  c.deploy_block = anvil.block_number();
  c.first = c.deploy_block + 1;
  fill_chain(anvil, c.contract, mints, args);
  c.last = anvil.block_number();
  if (!args.state.empty()) {
    std::ofstream(args.state + ".meta") << json{
        {"contract", c.contract},
        {"deploy_block", c.deploy_block},
        {"first", c.first},
        {"last", c.last},
        {"mints", c.expected.claims},
        {"membership", c.expected.membership},
        {"wallets", c.expected.wallets}}.dump();
  }
  return c;
}

// --- raw sweep ------------------------------------------------------------------------------

// eth_getLogs over [first, last] by plain HTTP + DOM parse, `span` blocks per request.
std::size_t raw_sweep(const testing::Anvil& anvil, const Chain& c, std::uint64_t span) {
  httplib::Client http = rpc_client(anvil, 300);
  std::size_t logs = 0;
  for (std::uint64_t from = c.first; from <= c.last; from += span) {
    const std::uint64_t to = std::min(c.last, from + span - 1);
    json req = {{"jsonrpc", "2.0"},
                {"id", 1},
                {"method", "eth_getLogs"},
                {"params", {testing::mint_filter_json(c.contract, from, to)}}};
    auto res = http.Post("/", req.dump(), "application/json");
    if (!res || res->status != 200) throw std::runtime_error("eth_getLogs failed");
    logs += json::parse(res->body).at("result").size();
  }
  return logs;
}

// --- node run -------------------------------------------------------------------------------

struct RssSample {
  double elapsed_s = 0;
  std::uint64_t claims = 0;  // claim_sync_queue rows at the last poll
  double rss_mb = 0;
};

struct NodeRun {
  double seconds = 0;
  double hwm_mb = 0;
  int exit_status = 0;
  std::vector<RssSample> samples;
};

struct Counts {
  std::uint64_t membership = 0, claims = 0;
};

// (membership rows, ledger rows), or nullopt while the node has not created the tables.
// Throws once the tables were there and a query fails (the cluster is gone: no result).
std::optional<Counts> poll_counts(store::PgConnection& conn, bool& tables_seen) {
  auto r = conn.exec(
      "SELECT (SELECT count(*) FROM membership), (SELECT count(*) FROM claim_sync_queue)");
  if (!r.ok() && tables_seen)
    throw std::runtime_error("counting the node's rows failed: " + r.status().to_string());
  if (!r.ok()) return std::nullopt;
  tables_seen = true;
  return Counts{std::stoull(std::string(r->value(0, 0))), std::stoull(std::string(r->value(0, 1)))};
}

std::string tail(const std::string& text, std::size_t chars = 3000) {
  return text.size() <= chars ? text : text.substr(text.size() - chars);
}

NodeRun run_node(const testing::PgCluster& pg, const testing::Anvil& anvil, const Chain& c,
                 const std::string& db, const Args& args) {
  testing::TempDir dir("claimsync-e2e-bench");
  testing::BenchNodeConfig nc;
  nc.rpc_url = anvil.url();
  nc.chain_id = anvil.chain_id();
  nc.contract = c.contract;
  nc.start_block = c.deploy_block;
  nc.data_dir = dir.file("data");
  nc.sink_url = pg.url(db);
  nc.log_level = args.node_log_level;
  nc.write_connections = args.write_connections;
  nc.max_batch_size = args.max_batch_size;
  const std::string config = dir.file("claimsync.toml");
  std::ofstream(config) << testing::render_bench_node_config(nc);
  auto conn = must(store::PgConnection::connect(pg.url(db)), "connect " + db);

  testing::SpawnOptions so;
  so.output_file = dir.file("node.log");
  NodeRun run;
  const auto t0 = SteadyClock::now();
  const auto deadline = t0 + std::chrono::seconds(args.timeout_s);
  auto node =
      testing::ChildProcess::spawn({testing::claimsync_binary(), "run", "--config", config}, so);
  Counts last;
  bool tables_seen = false;
  auto next_sample = t0;
  bool done = false;
  while (!done) {
    const auto q0 = SteadyClock::now();
    if (auto counts = poll_counts(conn, tables_seen)) last = *counts;
    const auto q1 = SteadyClock::now();
    done = last.membership >= c.expected.membership && last.claims >= c.expected.claims;
    if (done) run.seconds = seconds_since(t0);
    if (q1 >= next_sample || done) {
      if (auto mem = testing::read_proc_memory(node.pid())) {
        run.samples.push_back({seconds_since(t0), last.claims, mem->rss_kb / 1024.0});
        run.hwm_mb = mem->hwm_kb / 1024.0;
      }
      next_sample += std::chrono::seconds(1);
    }
    if (done) break;
    if (!node.running())
      throw std::runtime_error("claimsync exited during the backfill; log tail:\n" +
                               tail(testing::read_file(so.output_file)));
    if (q1 >= deadline)
      throw std::runtime_error(
          "backfill not complete after " + std::to_string(args.timeout_s) + " s (membership " +
          std::to_string(last.membership) + "/" + std::to_string(c.expected.membership) +
          ", ledger " + std::to_string(last.claims) + "/" + std::to_string(c.expected.claims) +
          "); log tail:\n" + tail(testing::read_file(so.output_file)));
    // Every ~10 ms, but never more than a fifth of the time on counting (large tables).
    std::this_thread::sleep_for(
        std::max<SteadyClock::duration>(std::chrono::milliseconds(10), 4 * (q1 - q0)));
  }
  run.exit_status = node.stop(std::chrono::milliseconds(15'000));
  return run;
}

void print_rss_table(const NodeRun& run) {
  std::printf("    %10s %12s %8s\n", "elapsed s", "claims in pg", "RSS MB");
  const std::size_t step = std::max<std::size_t>(1, run.samples.size() / 40);
  for (std::size_t i = 0; i < run.samples.size(); ++i) {
    if (i % step != 0 && i + 1 != run.samples.size()) continue;
    const RssSample& s = run.samples[i];
    std::printf("    %10.1f %12llu %8.1f\n", s.elapsed_s, (unsigned long long)s.claims, s.rss_mb);
  }
}

// --- raw COPY -------------------------------------------------------------------------------

// Exports the node's rows from `node_db` (untimed), then times COPY FROM of them into a
// freshly migrated database. Returns seconds; `rows` gets the row count.
double raw_copy(testing::PgCluster& pg, const std::string& node_db, const std::string& copy_db,
                std::size_t& rows) {
  std::vector<std::string> data;
  {
    auto src = must(store::PgConnection::connect(pg.url(node_db)), "connect " + node_db);
    data = testing::copy_out_tables(src.raw());
  }
  rows = 0;
  for (const std::string& d : data) rows += testing::copy_rows(d);
  pg.create_database(copy_db);
  must(store::migrate_database(pg.url(copy_db)), "migrate " + copy_db);
  auto dst = must(store::PgConnection::connect(pg.url(copy_db)), "connect " + copy_db);
  const auto t0 = SteadyClock::now();
  testing::copy_in_tables(dst.raw(), data);
  return seconds_since(t0);
}

// --- Ponder ---------------------------------------------------------------------------------

std::string ponder_runner() { return testing::source_dir() + "/bench/ponder/run.sh"; }

// The two ways Ponder is run: as shipped, and with its RPC rate cap lifted.
struct PonderMode {
  const char* name;
  const char* max_rps;  // PONDER_MAX_RPS, or nullptr for Ponder's default (50 req/s)
};
constexpr PonderMode kPonderModes[] = {{"ponder (defaults)", nullptr},
                                       {"ponder (10,000 req/s)", "10000"}};

// bench/ponder/run.sh into database `db`; its "ponder_seconds", or nullopt (with a message).
std::optional<double> run_ponder(const testing::PgCluster& pg, const testing::Anvil& anvil,
                                 const Chain& c, const std::string& db, const Args& args,
                                 const PonderMode& mode) {
  // `env` sets or clears the variable for run.sh alone, whatever this process has.
  std::vector<std::string> argv = {"env"};
  if (mode.max_rps != nullptr) {
    argv.push_back(std::string("PONDER_MAX_RPS=") + mode.max_rps);
  } else {
    argv.insert(argv.end(), {"-u", "PONDER_MAX_RPS"});
  }
  argv.insert(
      argv.end(),
      {ponder_runner(), "--rpc", anvil.url(), "--chain-id", std::to_string(anvil.chain_id()),
       "--contract", c.contract, "--start-block", std::to_string(c.deploy_block), "--end-block",
       std::to_string(c.last), "--database-url", pg.url(db), "--schema", "bench", "--expect-rows",
       std::to_string(c.expected.membership), "--timeout-s", std::to_string(args.timeout_s)});
  const auto r = testing::run_command(argv, std::chrono::seconds(args.timeout_s + 60));
  // The last line that parses as a JSON object with ponder_seconds.
  std::size_t end = r.output.size();
  while (end > 0) {
    std::size_t start = r.output.rfind('\n', end - 1);
    start = start == std::string::npos ? 0 : start + 1;
    const std::string line = r.output.substr(start, end - start);
    try {
      const json j = json::parse(line);
      if (j.is_object() && j.contains("ponder_seconds") && r.exit_code == 0)
        return j["ponder_seconds"].get<double>();
    } catch (const json::exception&) {
    }
    if (start == 0) break;
    end = start - 1;
  }
  std::printf("  ponder: run.sh exited %d without a ponder_seconds line; output tail:\n%s\n",
              r.exit_code, tail(r.output, 1500).c_str());
  return std::nullopt;
}

int run_bench(const Args& args) {
  set_log_level(LogLevel::kWarn);  // the migration runner's info lines
  std::printf("load at start: %s\n", testing::uptime_line().c_str());
  std::fflush(stdout);
  testing::claimsync_binary();  // fail early when it is not built

  testing::AnvilOptions ao;
  ao.no_mining = true;
  // No per-block state snapshots in memory: anvil copies its state per block otherwise,
  // which grows with the chain (GBs and minutes for 1M mints). Logs do not need them.
  ao.extra_args = {"--gas-limit", "1000000000", "--prune-history"};
  ao.start_timeout = std::chrono::minutes(10);  // loading a large state takes a while
  ao.stop_grace = std::chrono::minutes(10);     // and so does dumping it
  const bool reuse = !args.state.empty() && std::filesystem::exists(args.state) &&
                     std::filesystem::exists(args.state + ".meta");
  if (reuse)
    ao.extra_args.insert(ao.extra_args.end(), {"--load-state", args.state});
  else if (!args.state.empty())
    ao.extra_args.insert(ao.extra_args.end(), {"--dump-state", args.state});
  auto t_fill = SteadyClock::now();
  testing::Anvil anvil(ao);
  const Chain chain = prepare_chain(anvil, args, reuse);
  const std::uint64_t blocks = chain.last - chain.first + 1;
  std::printf(
      "chain: contract %s deployed in block %llu, mints in blocks %llu..%llu: %llu mints, %llu "
      "wallets, %llu (wallet, level) pairs (%s in %.1f s)\n",
      chain.contract.c_str(), (unsigned long long)chain.deploy_block,
      (unsigned long long)chain.first, (unsigned long long)chain.last,
      (unsigned long long)chain.expected.claims, (unsigned long long)chain.expected.wallets,
      (unsigned long long)chain.expected.membership, reuse ? "loaded" : "filled",
      seconds_since(t_fill));
  std::fflush(stdout);
  if (args.fill_only) return 0;

  const bool ponder = args.ponder && std::filesystem::exists(ponder_runner());
  if (args.ponder && !ponder)
    std::printf("ponder: skipped, %s is missing\n", ponder_runner().c_str());
  // Ponder indexes a block as historical only 30 blocks below the tip (chain 31337); the
  // range must be historical for it, as it is for the others. Empty blocks: no claims.
  if (ponder && anvil.block_number() < chain.last + 30)
    anvil.mine(chain.last + 30 - anvil.block_number());

  testing::PgCluster pg;
  const std::uint64_t span =
      chain.expected.claims <= 50'000
          ? blocks
          : std::max<std::uint64_t>(1, blocks * 50'000 / chain.expected.claims);
  std::vector<double> node_s, sweep_s, copy_s, hwm;
  std::vector<std::vector<double>> ponder_s(std::size(kPonderModes));
  for (int r = 0; r < args.runs; ++r) {
    auto t0 = SteadyClock::now();
    const std::size_t logs = raw_sweep(anvil, chain, span);
    sweep_s.push_back(seconds_since(t0));
    if (logs != chain.expected.claims)
      throw std::runtime_error("eth_getLogs found " + std::to_string(logs) + " mints, expected " +
                               std::to_string(chain.expected.claims));

    const std::string node_db = "node_" + std::to_string(r);
    pg.create_database(node_db);
    const NodeRun run = run_node(pg, anvil, chain, node_db, args);
    node_s.push_back(run.seconds);
    hwm.push_back(run.hwm_mb);

    std::size_t rows = 0;
    const std::string copy_db = "copy_" + std::to_string(r);
    copy_s.push_back(raw_copy(pg, node_db, copy_db, rows));
    pg.exec("DROP DATABASE " + node_db, {}, "postgres");
    pg.exec("DROP DATABASE " + copy_db, {}, "postgres");

    std::string ponder_text;
    for (std::size_t m = 0; ponder && m < std::size(kPonderModes); ++m) {
      const std::string ponder_db = "ponder_" + std::to_string(r) + "_" + std::to_string(m);
      pg.create_database(ponder_db);
      if (auto s = run_ponder(pg, anvil, chain, ponder_db, args, kPonderModes[m])) {
        ponder_s[m].push_back(*s);
        char buf[96];
        std::snprintf(buf, sizeof buf, ", %s %.3f s", kPonderModes[m].name, *s);
        ponder_text += buf;
      }
      pg.exec("DROP DATABASE " + ponder_db, {}, "postgres");
    }
    std::printf(
        "run %d: node %.3f s (%.0f claims/s, peak RSS %.1f MB, exit %d), sweep %.3f s (%zu "
        "logs), COPY %.3f s (%zu rows)%s\n",
        r + 1, run.seconds, static_cast<double>(chain.expected.claims) / run.seconds, run.hwm_mb,
        run.exit_status, sweep_s.back(), logs, copy_s.back(), rows, ponder_text.c_str());
    if (args.rss_table) print_rss_table(run);
    std::fflush(stdout);
  }

  const double node = testing::median(node_s), sweep = testing::median(sweep_s),
               copy = testing::median(copy_s);
  std::printf("\nsummary (medians of %d runs, %llu mints over %llu blocks):\n", args.runs,
              (unsigned long long)chain.expected.claims, (unsigned long long)blocks);
  std::printf("  node  %8.3f s   %.0f claims/s, peak RSS %.1f MB (max over runs)\n", node,
              static_cast<double>(chain.expected.claims) / node,
              *std::max_element(hwm.begin(), hwm.end()));
  std::printf("  sweep %8.3f s\n  COPY  %8.3f s\n", sweep, copy);
  std::printf("  node / (sweep + COPY) = %.2f (target <= 1.5)\n", node / (sweep + copy));
  for (std::size_t m = 0; m < std::size(kPonderModes); ++m) {
    if (ponder_s[m].empty()) continue;
    const double p = testing::median(ponder_s[m]);
    std::printf("  %-22s %7.3f s   / node = %.1f (target >= 10)\n", kPonderModes[m].name, p,
                p / node);
  }
  if (ponder_s[0].empty() && ponder_s[1].empty())
    std::printf("  ponder: not run%s\n", args.ponder ? " (see above)" : " (pass --ponder)");
  std::printf("load at end: %s\n", testing::uptime_line().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  try {
    return run_bench(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "e2e_bench: %s\n", e.what());
    return 1;
  }
}
