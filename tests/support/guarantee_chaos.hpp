// Chaos for the guarantee test: a seeded schedule of `kill -9` + restart of the node and
// PostgreSQL outages, played by its own thread while the load runs.
//
//   auto schedule = make_chaos_schedule(rng, {.duration = 100s});
//   ChaosReport report;
//   std::thread t([&] { play_chaos(schedule, node, pg, t0, abort, report); });
//
// Kills fall at random instants, one in each of `kills` equal slots of the duration (so
// they are spread out, never two at once); each restarts the node after 0..800 ms. Each
// outage stops PostgreSQL at a random instant of its own slot for a random time in
// [min_outage, min_outage + 3 s], then starts it again. Kills may fall inside outages.
#pragma once

#include <atomic>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "tests/support/guarantee_node.hpp"
#include "tests/support/pg_cluster.hpp"

namespace claimsync::testing {

struct ChaosOptions {
  std::chrono::milliseconds duration{100'000};  // the load phase the chaos must fit in
  int kills = 12;
  int outages = 2;
  std::chrono::milliseconds min_outage{10'000};
};

enum class ChaosKind { kKillNode, kStopDb, kStartDb };

struct ChaosEvent {
  std::chrono::milliseconds at{0};  // from the start of the load phase
  ChaosKind kind = ChaosKind::kKillNode;
  std::chrono::milliseconds restart_after{0};  // kKillNode: delay before the restart
  // kStopDb: the planned outage. The paired kStartDb waits for this long after stop()
  // returned, so a slow shutdown never makes the outage shorter than planned.
  std::chrono::milliseconds outage{0};
};

// Sorted by `at`. Throws std::invalid_argument when the duration cannot fit the outages.
std::vector<ChaosEvent> make_chaos_schedule(std::mt19937_64& rng, const ChaosOptions& options);

struct ChaosReport {
  int kills = 0;
  std::vector<double> outage_seconds;  // measured: stop() returned .. start() called
  std::vector<std::string> problems;   // e.g. the node had exited by itself
  std::string timeline;                // one line per event, for the test output
};

// Plays the schedule against the node and the cluster, timed from `t0`. Returns early (PG
// started again) when `abort` becomes true. Exceptions from the harness propagate.
void play_chaos(const std::vector<ChaosEvent>& schedule, NodeUnderTest& node, PgCluster& pg,
                std::chrono::steady_clock::time_point t0, const std::atomic<bool>& abort,
                ChaosReport& report);

}  // namespace claimsync::testing
