// ReconcileSchedule: the node's reconcile runs one at a time (an admin request during a
// scheduled run gets nullopt: the API's 409; a scheduled run due during an admin run is
// skipped), every run's summary reaches on_done, the next scheduled run is due an interval
// after the last run of either kind (the one before a restart included), and run_every
// returns promptly on stop. Time is a FrozenClock: only the test moves it.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "node/reconcile/reconcile_schedule.hpp"
#include "node/reconcile/reconcile_summary.hpp"
#include "tests/support/frozen_clock.hpp"
#include "tests/support/process.hpp"

using namespace claimsync;
using namespace claimsync::node;

namespace {

// Waits (real time, bounded) until `cond` holds.
bool eventually(const std::function<bool()>& cond) {
  return testing::wait_until(cond, std::chrono::milliseconds(10'000), std::chrono::milliseconds(2));
}

// A run that reports `differences` missing_in_store findings, optionally held until
// released (bounded).
struct ScriptedRuns {
  std::atomic<int> runs{0};
  std::atomic<bool> hold{false};
  std::atomic<bool> running{false};
  std::uint64_t differences = 0;
  std::mutex mu;
  std::vector<ReconcileSummary> done;  // GUARDED_BY(mu)

  ReconcileSchedule::RunFn run() {
    return [this](const std::string& at, std::size_t) {
      running = true;
      ++runs;
      eventually([this] { return !hold.load(); });
      ReconcileReport r;
      for (std::uint64_t i = 0; i < differences; ++i) r.add(ReconcileClass::kMissingInStore, {});
      r.pin = PinnedBlock{at, 90, "0xab", 100};
      r.cost.elapsed_ms = 1500;
      running = false;
      return r;
    };
  }
  ReconcileSchedule::DoneFn on_done() {
    return [this](const ReconcileSummary& s) {
      std::lock_guard<std::mutex> l(mu);
      done.push_back(s);
    };
  }
  std::size_t done_count() {
    std::lock_guard<std::mutex> l(mu);
    return done.size();
  }
};

}  // namespace

TEST_CASE("reconcile schedule: admin runs, one at a time, summarised", "[reconcile]") {
  testing::FrozenClock clock;
  ScriptedRuns s;
  s.differences = 2;
  ReconcileSchedule schedule(s.run(), s.on_done(), clock, 0);
  std::optional<ReconcileReport> r = schedule.try_run("safe", 5, "admin");
  REQUIRE(r);
  CHECK(r->differences() == 2);
  REQUIRE(s.done_count() == 1);
  const ReconcileSummary& sum = s.done[0];
  CHECK(sum.trigger == "admin");
  CHECK(sum.at == "safe");
  CHECK(sum.result == "differences");
  CHECK(sum.differences == 2);
  CHECK(sum.pin_block == 90u);
  CHECK(sum.elapsed_ms == 1500);
  CHECK(sum.finished_at_ms == clock.now_ms());
  // The summary round-trips through its JSON (the store's note); a foreign note is ignored.
  const std::optional<ReconcileSummary> back = ReconcileSummary::from_json(sum.to_json());
  REQUIRE(back);
  CHECK(back->to_json() == sum.to_json());
  CHECK_FALSE(ReconcileSummary::from_json(nlohmann::json{{"x", 1}}));
  CHECK(sum.to_text().find("differences (2) at block 90 (safe), 1.5 s") == 0);

  // While one run goes, another gets nullopt (the API answers 409) and does not run.
  s.hold = true;
  std::thread first([&] { (void)schedule.try_run("finalized", 10, "admin"); });
  REQUIRE(eventually([&] { return s.running.load(); }));
  CHECK_FALSE(schedule.try_run("finalized", 10, "admin"));
  s.hold = false;
  first.join();
  CHECK(s.runs == 2);
  CHECK(s.done_count() == 2);
  CHECK(schedule.try_run("finalized", 10, "admin"));
}

TEST_CASE("reconcile schedule: every interval after the last run; stops promptly", "[reconcile]") {
  testing::FrozenClock clock;
  ScriptedRuns s;
  StopFlag stop;
  SECTION("the first run an interval after the start, then an interval after each") {
    ReconcileSchedule schedule(s.run(), s.on_done(), clock, 60);
    std::thread t([&] { schedule.run_every(stop); });
    REQUIRE(eventually([&] { return clock.sleepers() == 1; }));
    CHECK(s.runs == 0);
    clock.advance_ms(59'000);
    REQUIRE(eventually([&] { return clock.sleepers() == 1; }));
    CHECK(s.runs == 0);
    clock.advance_ms(1'000);
    REQUIRE(eventually([&] { return s.done_count() == 1; }));
    CHECK(s.done[0].trigger == "scheduled");
    CHECK(s.done[0].at == "finalized");
    CHECK(s.done[0].result == "consistent");
    // An admin run now postpones the next scheduled one: due 60 s after it ends.
    REQUIRE(eventually([&] { return clock.sleepers() == 1; }));
    clock.advance_ms(30'000);
    REQUIRE(schedule.try_run("finalized", 10, "admin"));
    clock.advance_ms(30'000);  // 60 s after the scheduled run, 30 s after the admin one
    REQUIRE(eventually([&] { return clock.sleepers() == 1; }));
    CHECK(s.runs == 2);
    clock.advance_ms(30'000);
    REQUIRE(eventually([&] { return s.runs.load() == 3; }));
    stop.request_stop();
    t.join();
    CHECK(clock.capped_sleeps() == 0);
  }
  SECTION("a run before the restart counts: due an interval after it") {
    ReconcileSchedule schedule(s.run(), s.on_done(), clock, 60, clock.now_ms() - 50'000);
    std::thread t([&] { schedule.run_every(stop); });
    REQUIRE(eventually([&] { return clock.sleepers() == 1; }));
    clock.advance_ms(10'000);
    REQUIRE(eventually([&] { return s.runs.load() == 1; }));
    stop.request_stop();
    t.join();
  }
  SECTION("a scheduled run due during an admin run is skipped") {
    ReconcileSchedule schedule(s.run(), s.on_done(), clock, 60);
    s.hold = true;
    std::thread admin([&] { (void)schedule.try_run("latest", 10, "admin"); });
    REQUIRE(eventually([&] { return s.running.load(); }));
    std::thread t([&] { schedule.run_every(stop); });
    REQUIRE(eventually([&] { return clock.sleepers() == 1; }));
    clock.advance_ms(60'000);
    // Skipped: it sleeps again (a full interval) instead of running a second time.
    REQUIRE(eventually([&] { return schedule.skipped() == 1; }));
    CHECK(s.runs == 1);
    s.hold = false;
    admin.join();
    stop.request_stop();
    t.join();
    CHECK(s.runs == 1);
  }
  SECTION("interval 0: run_every returns at once") {
    ReconcileSchedule schedule(s.run(), s.on_done(), clock, 0);
    schedule.run_every(stop);
    CHECK(s.runs == 0);
  }
}
