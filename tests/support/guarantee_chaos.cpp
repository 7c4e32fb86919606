#include "tests/support/guarantee_chaos.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <thread>

namespace claimsync::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

milliseconds uniform_ms(std::mt19937_64& rng, milliseconds lo, milliseconds hi) {
  return milliseconds(std::uniform_int_distribution<std::int64_t>(lo.count(), hi.count())(rng));
}

// Sleeps until `when` in short steps; false when aborted first.
bool sleep_until(Clock::time_point when, const std::atomic<bool>& abort) {
  while (Clock::now() < when) {
    if (abort) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(milliseconds(100), when - Clock::now()));
  }
  return !abort;
}

void note(ChaosReport& report, Clock::time_point t0, const std::string& what) {
  char at[32];
  std::snprintf(at, sizeof at, "%7.1fs ", std::chrono::duration<double>(Clock::now() - t0).count());
  report.timeline += at + what + "\n";
}

}  // namespace

std::vector<ChaosEvent> make_chaos_schedule(std::mt19937_64& rng, const ChaosOptions& o) {
  constexpr milliseconds kMargin{2'000};
  constexpr milliseconds kOutageJitter{3'000};
  std::vector<ChaosEvent> events;
  const milliseconds usable = o.duration - 2 * kMargin;
  if (o.outages > 0) {
    const milliseconds slot = usable / o.outages;
    if (slot < o.min_outage + kOutageJitter + kMargin) {
      throw std::invalid_argument("chaos: duration too short for the outages");
    }
    for (int i = 0; i < o.outages; ++i) {
      const milliseconds length = uniform_ms(rng, o.min_outage, o.min_outage + kOutageJitter);
      const milliseconds begin = kMargin + slot * i;
      const milliseconds at = begin + uniform_ms(rng, milliseconds(0), slot - length - kMargin);
      events.push_back({at, ChaosKind::kStopDb, {}, length});
      events.push_back({at + length, ChaosKind::kStartDb, {}, {}});
    }
  }
  if (o.kills > 0) {
    const milliseconds slot = usable / o.kills;
    for (int i = 0; i < o.kills; ++i) {
      const milliseconds at = kMargin + slot * i + uniform_ms(rng, slot / 10, slot * 9 / 10);
      events.push_back(
          {at, ChaosKind::kKillNode, uniform_ms(rng, milliseconds(0), milliseconds(800))});
    }
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const ChaosEvent& a, const ChaosEvent& b) { return a.at < b.at; });
  return events;
}

void play_chaos(const std::vector<ChaosEvent>& schedule, NodeUnderTest& node, PgCluster& pg,
                Clock::time_point t0, const std::atomic<bool>& abort, ChaosReport& report) {
  Clock::time_point db_down_since{};
  milliseconds planned_outage{0};
  for (const auto& event : schedule) {
    if (!sleep_until(t0 + event.at, abort)) break;
    switch (event.kind) {
      case ChaosKind::kKillNode: {
        if (auto exited = node.kill9()) {
          report.problems.push_back("the node had exited by itself with status " +
                                    std::to_string(*exited) + " before kill #" +
                                    std::to_string(report.kills + 1));
          note(report, t0, "node found dead (status " + std::to_string(*exited) + ")");
        }
        ++report.kills;
        note(report, t0, "kill -9 node #" + std::to_string(report.kills));
        // A planned downtime of the schedule (seeded), not a wait for a condition.
        std::this_thread::sleep_for(event.restart_after);
        node.start();
        note(report, t0, "node restarted");
        break;
      }
      case ChaosKind::kStopDb:
        pg.stop();
        db_down_since = Clock::now();
        planned_outage = event.outage;
        note(report, t0, "postgres stopped");
        break;
      case ChaosKind::kStartDb:
        // stop() can return late (a shutdown under load): keep the outage at its planned
        // length from when the database was really down. CI once measured 9.97 s of a
        // planned 10.0 s.
        if (!sleep_until(db_down_since + planned_outage, abort)) break;
        report.outage_seconds.push_back(
            std::chrono::duration<double>(Clock::now() - db_down_since).count());
        pg.start();
        note(report, t0, "postgres started");
        break;
    }
  }
  if (!pg.running()) pg.start();
}

}  // namespace claimsync::testing
