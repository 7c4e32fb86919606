// The metrics registry and its text exposition (format 0.0.4): escaping, numbers, HELP and
// TYPE once per name, cumulative histogram buckets with +Inf/_sum/_count, monotonic
// counters, exact totals under concurrent increments, and the registration rules that keep
// names valid and label sets small.
#include <catch2/catch.hpp>

#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "node/metrics/exposition_text.hpp"
#include "node/metrics/metrics_registry.hpp"
#include "tests/support/metrics_text.hpp"

using namespace claimsync::node;
using claimsync::testing::lines_starting_with;
using claimsync::testing::sample_number;
using claimsync::testing::sample_value;

TEST_CASE("help and label values are escaped as the format requires") {
  CHECK(escape_help("a\\b\nc\"d") == "a\\\\b\\nc\"d");  // quotes stay in HELP
  CHECK(escape_label_value("a\\b\nc\"d") == "a\\\\b\\nc\\\"d");
  CHECK(escape_label_value("plain") == "plain");

  MetricsRegistry r;
  r.gauge("t_gauge", "line one\nback\\slash", {"v"}).with({"say \"hi\"\n\\"}).set(2);
  const std::string text = r.render();
  CHECK(lines_starting_with(text, "# HELP t_gauge line one\\nback\\\\slash") == 1);
  CHECK(sample_value(text, "t_gauge{v=\"say \\\"hi\\\"\\n\\\\\"}") == "2");
}

TEST_CASE("numbers are written as Prometheus reads them") {
  CHECK(format_value(0.0) == "0");
  CHECK(format_value(42.0) == "42");
  CHECK(format_value(-3.0) == "-3");
  CHECK(format_value(0.005) == "0.005");
  CHECK(format_value(2.5) == "2.5");
  CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(format_value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(format_value(std::uint64_t{18446744073709551615u}) == "18446744073709551615");
}

TEST_CASE("HELP and TYPE come once per name, before the samples, and the text ends in a newline") {
  MetricsRegistry r;
  auto& c = r.counter("t_requests_total", "Requests.", {"method"});
  c.with({"a"}).inc(3);
  c.with({"b"}).inc();
  r.gauge("t_up", "Up.").with().set(1);
  const std::string text = r.render();
  CHECK(lines_starting_with(text, "# HELP t_requests_total ") == 1);
  CHECK(lines_starting_with(text, "# TYPE t_requests_total counter") == 1);
  CHECK(lines_starting_with(text, "# TYPE t_up gauge") == 1);
  CHECK(text.find("# TYPE t_requests_total") < text.find("t_requests_total{method=\"a\"} 3"));
  CHECK(sample_value(text, "t_requests_total{method=\"a\"}") == "3");
  CHECK(sample_value(text, "t_requests_total{method=\"b\"}") == "1");
  CHECK(sample_value(text, "t_up") == "1");
  REQUIRE(!text.empty());
  CHECK(text.back() == '\n');
  CHECK(text.find("\n\n") == std::string::npos);
  // with() of known labels returns the same series (no duplicate sample lines).
  CHECK(&c.with({"a"}) == &c.with({"a"}));
}

TEST_CASE("an unset gauge renders no sample, a set one does") {
  MetricsRegistry r;
  Gauge& g = r.gauge("t_block", "Block.").with();
  CHECK(lines_starting_with(r.render(), "t_block") == 0);
  g.set(7);
  CHECK(sample_value(r.render(), "t_block") == "7");
  g.unset();
  CHECK(lines_starting_with(r.render(), "t_block") == 0);
  CHECK(lines_starting_with(r.render(), "# TYPE t_block gauge") == 1);
}

TEST_CASE("histogram buckets are cumulative, end in +Inf, and _count equals it") {
  MetricsRegistry r;
  Histogram& h = r.histogram("t_duration_seconds", "D.", {"op"}, {0.1, 1, 10}).with({"x"});
  for (double v : {0.05, 0.1, 0.5, 1.0, 5.0, 50.0, 60.0}) h.observe(v);
  const std::string text = r.render();
  // le is "less or equal": 0.1 and 1.0 fall in their own bounds' buckets.
  CHECK(sample_value(text, "t_duration_seconds_bucket{op=\"x\",le=\"0.1\"}") == "2");
  CHECK(sample_value(text, "t_duration_seconds_bucket{op=\"x\",le=\"1\"}") == "4");
  CHECK(sample_value(text, "t_duration_seconds_bucket{op=\"x\",le=\"10\"}") == "5");
  CHECK(sample_value(text, "t_duration_seconds_bucket{op=\"x\",le=\"+Inf\"}") == "7");
  CHECK(sample_value(text, "t_duration_seconds_count{op=\"x\"}") == "7");
  CHECK(sample_number(text, "t_duration_seconds_sum{op=\"x\"}") == Approx(116.65));
  // Order: buckets ascending, then _sum, then _count.
  CHECK(text.find("le=\"0.1\"") < text.find("le=\"1\""));
  CHECK(text.find("le=\"+Inf\"") < text.find("t_duration_seconds_sum"));
  CHECK(text.find("t_duration_seconds_sum") < text.find("t_duration_seconds_count"));

  MetricsRegistry bare;
  bare.histogram("t_plain_seconds", "P.", {}, {1}).with().observe(2);
  const std::string t2 = bare.render();
  CHECK(sample_value(t2, "t_plain_seconds_bucket{le=\"1\"}") == "0");
  CHECK(sample_value(t2, "t_plain_seconds_bucket{le=\"+Inf\"}") == "1");
  CHECK(sample_value(t2, "t_plain_seconds_count") == "1");
}

TEST_CASE("counters only go up") {
  Counter c;
  c.inc(5);
  c.raise_to(3);  // a mirrored total that is behind never lowers the counter
  CHECK(c.value() == 5);
  c.raise_to(9);
  CHECK(c.value() == 9);
  c.inc();
  CHECK(c.value() == 10);
}

TEST_CASE("concurrent increments from several threads add up exactly") {
  MetricsRegistry r;
  Counter& c = r.counter("t_events_total", "E.").with();
  Histogram& h = r.histogram("t_lat_seconds", "L.", {}, {0.5}).with();
  Gauge& g = r.gauge("t_level", "G.").with();
  constexpr int kThreads = 4;
  constexpr int kEach = 50'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        c.inc();
        h.observe(t % 2 == 0 ? 0.25 : 1.0);
        g.add(1);
      }
    });
  }
  // Scrapes while the writers run must not disturb them (and must stay well-formed).
  for (int i = 0; i < 20; ++i) CHECK(r.render().back() == '\n');
  for (auto& t : threads) t.join();
  const std::string text = r.render();
  CHECK(sample_value(text, "t_events_total") == std::to_string(kThreads * kEach));
  CHECK(sample_value(text, "t_lat_seconds_count") == std::to_string(kThreads * kEach));
  CHECK(sample_value(text, "t_lat_seconds_bucket{le=\"0.5\"}") ==
        std::to_string(kThreads / 2 * kEach));
  CHECK(sample_number(text, "t_lat_seconds_sum") == Approx(kThreads / 2 * kEach * 1.25));
  CHECK(sample_value(text, "t_level") == std::to_string(kThreads * kEach));
}

TEST_CASE("registration refuses invalid names and unbounded or identifying labels") {
  MetricsRegistry r;
  CHECK_THROWS_AS(r.gauge("bad-name", "x"), std::invalid_argument);
  CHECK_THROWS_AS(r.gauge("1bad", "x"), std::invalid_argument);
  CHECK_THROWS_AS(r.counter("t_requests", "a counter without _total"), std::invalid_argument);
  CHECK_THROWS_AS(r.gauge("t_things_total", "a gauge named like a counter"), std::invalid_argument);
  CHECK_THROWS_AS(r.gauge("t_g", "x", {"bad-label"}), std::invalid_argument);
  CHECK_THROWS_AS(r.gauge("t_g2", "x", {"__reserved"}), std::invalid_argument);
  CHECK_THROWS_AS(r.gauge("t_g3", "x", {"a", "a"}), std::invalid_argument);
  CHECK_THROWS_AS(r.histogram("t_h_seconds", "x", {"le"}, {1}), std::invalid_argument);
  CHECK_THROWS_AS(r.histogram("t_h2_seconds", "x", {}, {1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(
      r.histogram("t_h3_seconds", "x", {}, {1, std::numeric_limits<double>::infinity()}),
      std::invalid_argument);

  auto& ok = r.counter("t_ok_total", "x", {"kind"});
  CHECK_THROWS_AS(r.counter("t_ok_total", "registered twice"), std::invalid_argument);
  CHECK_THROWS_AS(ok.with({}), std::invalid_argument);          // wrong arity
  CHECK_THROWS_AS(ok.with({"a", "b"}), std::invalid_argument);  // wrong arity
  // An address or a tx hash is never a label value.
  CHECK_THROWS_AS(ok.with({"0x5FbDB2315678afecb367f032d93F642f64180aa3"}), std::invalid_argument);
  CHECK_THROWS_AS(ok.with({"0x3a1f7c0e2b9d4e8f6a5c1b0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f"}),
                  std::invalid_argument);
  CHECK_NOTHROW(ok.with({"0x1f"}));  // short hex (a code) is fine
  for (std::size_t i = 1; i < kMaxChildren; ++i) ok.with({"k" + std::to_string(i)});
  CHECK_THROWS_AS(ok.with({"one too many"}), std::length_error);

  // Nothing invalid was left registered: the text holds only the valid family.
  const std::string text = r.render();
  CHECK(lines_starting_with(text, "# TYPE ") == 1);
  CHECK(lines_starting_with(text, "# TYPE t_ok_total counter") == 1);
}

TEST_CASE("scrape callbacks run before every render") {
  MetricsRegistry r;
  Gauge& g = r.gauge("t_scraped", "S.").with();
  int calls = 0;
  r.on_scrape([&] { g.set(++calls); });
  CHECK(sample_value(r.render(), "t_scraped") == "1");
  CHECK(sample_value(r.render(), "t_scraped") == "2");
}
