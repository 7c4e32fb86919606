// sink_bench: replicate N claims into PostgreSQL through PostgresSink and compare with a
// raw COPY of the same rows into the same tables, in the same run, on the same throwaway
// cluster; then the same claims through SqliteSink. Results go in bench/RESULTS.md.
//
//   sink_bench [--claims 100000] [--wallets 30000] [--levels 19]
//              [--batches 500,2000,10000] [--paths array,laned] [--repeat 3]
//              [--latency 200] [--durable] [--pg-setting key=value]... [--help]
//
// Paths (PostgresSink::set_stage_min_claims): "array" sends every batch as 16 array
// parameters (one statement: the default, and the path before issue 11), "staged" COPYs
// every batch into the session's stage table and merges from there, "laned" is the node's
// write path: a LanedSink (storage/laned_sink.hpp) over two array-path connections.
// --latency N: N apply() calls of 1 and of 3 new claims each per path (a live node's
// batches), median and 90th percentile of one call; 0 skips it.
//
// How it is fair: both sides write into freshly migrated databases with the same indexes,
// constraints and foreign keys. The COPY side loads exactly the rows the sink produced
// (exported from the sink's database with COPY TO before timing), table by table in
// foreign-key order, one transaction. Rates are claims per second: N / elapsed. Sink and
// COPY runs alternate, `--repeat` times, each into a fresh database; medians are reported
// (the machine is shared, single runs are noisy).
// --pg-setting adds a server setting (e.g. auto_explain's, with CLAIMSYNC_KEEP_TEST_DIRS=1
// to keep the server log).
// --durable runs the cluster with fsync / synchronous_commit / full_page_writes on (the
// default harness turns them off).
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/bench_options.hpp"
#include "storage/laned_sink.hpp"
#include "storage/membership_sink.hpp"
#include "storage/migration_runner.hpp"
#include "storage/pg_connection.hpp"
#include "storage/postgres_sink.hpp"
#include "tests/support/claim_fixtures.hpp"
#include "tests/support/pg_cluster.hpp"
#include "tests/support/pg_copy.hpp"
#include "tests/support/process.hpp"

using namespace claimsync;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Options {
  std::uint64_t claims = 100'000;
  std::uint64_t wallets = 30'000;
  std::uint32_t levels = 19;
  std::vector<std::size_t> batches = {500, 2000, 10000};
  std::vector<std::string> paths = {"array", "laned"};
  int repeat = 3;
  int latency = 200;
  bool durable = false;
  std::vector<std::string> pg_settings;
};

double seconds_since(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

void die(const std::string& what) {
  std::cerr << "sink_bench: " << what << "\n";
  std::exit(1);
}

template <typename T>
T must(Result<T> r, const std::string& what) {
  if (!r.ok()) die(what + ": " + r.status().to_string());
  return std::move(r).value();
}

// Applies all claims in batches; returns seconds.
double run_sink(store::MembershipSink& sink, const std::vector<store::Claim>& claims,
                std::size_t batch) {
  const auto t0 = SteadyClock::now();
  for (std::size_t i = 0; i < claims.size(); i += batch) {
    const std::vector<store::Claim> part(
        claims.begin() + static_cast<std::ptrdiff_t>(i),
        claims.begin() + static_cast<std::ptrdiff_t>(std::min(claims.size(), i + batch)));
    const store::SinkResult r = sink.apply(part);
    if (!r.status.ok() || !r.rejected.empty()) die("apply failed: " + r.status.to_string());
  }
  return seconds_since(t0);
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

double median(std::vector<double> v) { return percentile(std::move(v), 0.5); }

std::size_t stage_min_claims(const std::string& path) {
  if (path == "array" || path == "laned") return SIZE_MAX;
  if (path == "staged") return 1;
  die("unknown path " + path + " (array, staged, laned)");
  return 0;
}

// A migrated database `db` and a sink on it that takes `path`: a PostgresSink, or for
// "laned" the node's write path, a LanedSink over two array-path PostgresSinks.
std::unique_ptr<store::MembershipSink> open_postgres(const testing::PgCluster& pg,
                                                     const std::string& db,
                                                     const std::string& path) {
  must(store::migrate_database(pg.url(db)), "migrate " + db);
  std::vector<std::unique_ptr<store::MembershipSink>> lanes;
  for (int i = 0; i < (path == "laned" ? 2 : 1); ++i) {
    auto sink = must(store::PostgresSink::open(pg.url(db)), "open postgres sink");
    sink->set_stage_min_claims(stage_min_claims(path));
    lanes.push_back(std::move(sink));
  }
  if (lanes.size() == 1) return std::move(lanes.front());
  return std::make_unique<store::LanedSink>(std::move(lanes));
}

// `calls` apply() calls of `per_call` claims each (new claims), each call timed; ms.
std::vector<double> call_latencies(store::MembershipSink& sink,
                                   const std::vector<store::Claim>& claims, std::size_t per_call,
                                   int calls) {
  std::vector<double> ms;
  for (std::size_t i = 0; ms.size() < static_cast<std::size_t>(calls); i += per_call) {
    if (i + per_call > claims.size()) die("--latency needs more --claims");
    const std::vector<store::Claim> part(
        claims.begin() + static_cast<std::ptrdiff_t>(i),
        claims.begin() + static_cast<std::ptrdiff_t>(i + per_call));
    const auto t0 = SteadyClock::now();
    const store::SinkResult r = sink.apply(part);
    ms.push_back(1000.0 * seconds_since(t0));
    if (!r.status.ok() || !r.rejected.empty()) die("apply failed: " + r.status.to_string());
  }
  return ms;
}

Options parse(int argc, char** argv) {
  Options o;
  bench::BenchOptions cl(
      "sink_bench",
      "[--claims N] [--wallets W] [--levels L] [--batches B,...] [--paths P,...]\n"
      "                  [--repeat R] [--latency N] [--durable] [--pg-setting KEY=VALUE]... "
      "[--help]",
      "PostgresSink against a raw COPY of the same rows, then SqliteSink (see the comment at "
      "the top of bench/sink_bench.cpp).");
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  cl.number("claims", "N", o.claims, std::uint64_t{1}, kMax, "claims to replicate")
      .number("wallets", "W", o.wallets, std::uint64_t{1}, kMax, "distinct wallets among them")
      .number("levels", "L", o.levels, 1u, std::numeric_limits<std::uint32_t>::max(), "levels 1..L")
      .list("batches", "B,...", o.batches, 1, "apply() batch sizes, each its own runs")
      .list("paths", "P,...", o.paths, "sink paths: array, staged, laned")
      .number("repeat", "R", o.repeat, 1, std::numeric_limits<int>::max(),
              "alternating sink / COPY runs; medians")
      .number("latency", "N", o.latency, 0, std::numeric_limits<int>::max(),
              "apply() calls of 1 and of 3 new claims per path, timed (0: skip)")
      .flag("durable", o.durable, "fsync, synchronous_commit and full_page_writes on")
      .repeated("pg-setting", "KEY=VALUE", o.pg_settings, "an extra server setting (repeatable)");
  cl.parse(argc, argv);
  for (const std::string& path : o.paths) {
    if (path != "array" && path != "staged" && path != "laned")
      cl.fail("--paths: unknown path " + path + " (array, staged, laned)");
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  const std::vector<store::Claim> claims =
      testing::make_claims(opt.claims, opt.wallets, opt.levels);
  const double n = static_cast<double>(claims.size());

  testing::PgClusterOptions pg_opts;
  if (opt.durable) pg_opts.settings = {"fsync=on", "synchronous_commit=on", "full_page_writes=on"};
  pg_opts.settings.insert(pg_opts.settings.end(), opt.pg_settings.begin(), opt.pg_settings.end());
  testing::PgCluster pg(pg_opts);

  std::printf("claims=%zu wallets=%llu levels=%u durable=%s\n", claims.size(),
              static_cast<unsigned long long>(opt.wallets), opt.levels, opt.durable ? "yes" : "no");

  // The rows the sink produces, exported once for the COPY runs.
  std::vector<std::string> data;
  std::size_t rows = 0;
  {
    pg.create_database("reference");
    auto sink = must(store::open_sink(pg.url("reference"), /*migrate=*/true), "open postgres sink");
    run_sink(*sink, claims, opt.batches.front());
    auto src = must(store::PgConnection::connect(pg.url("reference")), "connect");
    data = testing::copy_out_tables(src.raw());
    for (const std::string& d : data) rows += testing::copy_rows(d);
  }

  // Alternating runs, each into a fresh database.
  std::map<std::pair<std::string, std::size_t>, std::vector<double>> sink_times;
  std::vector<double> copy_times;
  for (int rep = 0; rep < opt.repeat; ++rep) {
    for (std::size_t batch : opt.batches) {
      for (const std::string& path : opt.paths) {
        const std::string db =
            "sink_" + path + "_" + std::to_string(batch) + "_" + std::to_string(rep);
        pg.create_database(db);
        {
          auto sink = open_postgres(pg, db, path);
          const double t = run_sink(*sink, claims, batch);
          sink_times[{path, batch}].push_back(t);
          std::printf("  run %d postgres sink %-6s batch=%-5zu %8.3f s  %8.0f claims/s\n", rep,
                      path.c_str(), batch, t, n / t);
        }
        pg.exec("DROP DATABASE " + db, {}, "postgres");
      }
    }
    const std::string db = "copy_" + std::to_string(rep);
    pg.create_database(db);
    must(store::migrate_database(pg.url(db)), "migrate copy db");
    {
      auto dst = must(store::PgConnection::connect(pg.url(db)), "connect");
      const auto t0 = SteadyClock::now();
      testing::copy_in_tables(dst.raw(), data);  // BEGIN; COPY x4; COMMIT
      const double t = seconds_since(t0);
      copy_times.push_back(t);
      std::printf("  run %d postgres COPY  %zu rows  %8.3f s  %8.0f claims/s\n", rep, rows, t,
                  n / t);
    }
    pg.exec("DROP DATABASE " + db, {}, "postgres");
  }

  std::printf("\nmedians of %d runs:\n", opt.repeat);
  const double t_copy = median(copy_times);
  std::printf("postgres COPY    (%zu rows) %8.3f s  %10.0f claims/s  (%.0f rows/s)\n", rows, t_copy,
              n / t_copy, static_cast<double>(rows) / t_copy);
  for (std::size_t batch : opt.batches) {
    for (const std::string& path : opt.paths) {
      const double t = median(sink_times[{path, batch}]);
      std::printf(
          "postgres sink    %-6s batch=%-5zu %8.3f s  %10.0f claims/s  = %5.1f %% of COPY\n",
          path.c_str(), batch, t, n / t, 100.0 * t_copy / t);
    }
  }

  // A live node's calls: 1 and 3 new claims each, alternating paths, into fresh databases.
  if (opt.latency > 0) {
    for (std::size_t per_call : {std::size_t{1}, std::size_t{3}}) {
      std::map<std::string, std::vector<double>> lat;
      for (int rep = 0; rep < 2; ++rep) {
        for (const std::string& path : opt.paths) {
          const std::string db =
              "latency_" + path + "_" + std::to_string(per_call) + "_" + std::to_string(rep);
          pg.create_database(db);
          {
            auto sink = open_postgres(pg, db, path);
            const auto ms = call_latencies(*sink, claims, per_call, opt.latency / 2);
            lat[path].insert(lat[path].end(), ms.begin(), ms.end());
          }
          pg.exec("DROP DATABASE " + db, {}, "postgres");
        }
      }
      for (const std::string& path : opt.paths) {
        std::printf(
            "postgres apply() of %zu claim%s %-6s median %6.2f ms  p90 %6.2f ms  (%zu calls)\n",
            per_call, per_call == 1 ? " " : "s", path.c_str(), median(lat[path]),
            percentile(lat[path], 0.9), lat[path].size());
      }
    }
  }

  // A replay of everything (all conflicts: what a crash-restart costs).
  {
    auto sink = must(store::open_sink(pg.url("reference"), false), "open postgres sink");
    const double t = run_sink(*sink, claims, opt.batches.front());
    std::printf("postgres replay  batch=%-5zu %8.3f s  %10.0f claims/s\n", opt.batches.front(), t,
                n / t);
  }

  // 4. SQLite, a file in a temp dir (synchronous=FULL, WAL).
  testing::TempDir dir("claimsync-sink-bench");
  for (std::size_t batch : opt.batches) {
    auto sink = must(
        store::open_sink("sqlite:" + dir.file("bench_" + std::to_string(batch) + ".sqlite"), true),
        "open sqlite sink");
    const double t = run_sink(*sink, claims, batch);
    std::printf("sqlite sink      batch=%-5zu %8.3f s  %10.0f claims/s\n", batch, t, n / t);
  }
  return 0;
}
