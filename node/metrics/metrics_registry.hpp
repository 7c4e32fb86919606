// MetricsRegistry: counters, gauges and histograms with fixed label sets, rendered in the
// Prometheus text format 0.0.4.
//
// Hand-written on purpose: prometheus-cpp is not packaged in Debian 12 (the stack installs
// only Debian packages), and the node needs a few dozen series, no push, no protobuf.
//
// Contract:
//   * Families are registered once by name (a name used twice, an invalid metric or label
//     name, a counter not ending in `_total`, histogram bounds not strictly increasing
//     and finite, a label `le` on a histogram: std::invalid_argument, a bug).
//   * Children (one label-value tuple each) are created by Family::with() at registration
//     time; callers keep the returned reference, so the hot path is one relaxed atomic
//     operation, no lock, no lookup. At most kMaxChildren per family, and label values
//     that look like an address or a hash (0x + more than 16 hex digits) are refused
//     (std::invalid_argument): series stay few and never carry per-user data.
//   * Counters only go up. Gauges may be unset (nothing is rendered for them until set).
//     Histograms have fixed upper bounds (seconds for durations); `_count` is the sum of
//     the buckets, so it equals the `+Inf` bucket in every scrape.
//   * render(): first runs the on_scrape callbacks (scrape-time gauges), then writes each
//     family in registration order: `# HELP`, `# TYPE` once, then its samples; children in
//     creation order; `\n` after every line, the last one included.
//   * Thread-safe: increments from any thread; registration and render take a mutex.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace claimsync::node {

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  // For a counter that mirrors a monotonic count kept elsewhere: raises it to `total`,
  // never lowers it.
  void raise_to(std::uint64_t total);
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double value);
  void add(double delta);  // an unset gauge counts as 0
  void unset() { set_.store(false, std::memory_order_relaxed); }
  bool has_value() const { return set_.load(std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
  std::atomic<bool> set_{false};
};

class Histogram {
 public:
  // `bounds` are the finite upper bounds, strictly increasing; +Inf is implied.
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);  // NaN is ignored

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf
    std::uint64_t count = 0;                // == cumulative.back()
    double sum = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0};
};

enum class MetricType { kCounter, kGauge, kHistogram };
const char* metric_type_name(MetricType type);

inline constexpr std::size_t kMaxChildren = 512;

// Common bucket sets, in seconds.
std::vector<double> rpc_duration_buckets();  // 5 ms .. 30 s
std::vector<double> db_duration_buckets();   // 1 ms .. 30 s

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type,
             std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  MetricType type() const { return type_; }
  // Appends HELP, TYPE and the samples.
  void render(std::string& out) const;

 protected:
  // Checks a label-value tuple for with() (count, address-like values).
  void check_values(const std::vector<std::string>& values) const;
  // `{a="x",b="y"` without the closing brace ("" with no labels).
  std::string label_prefix(const std::vector<std::string>& values) const;
  virtual void render_samples(std::string& out) const = 0;

  mutable std::mutex mu_;

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};

template <typename Metric>
class Family final : public FamilyBase {
 public:
  template <typename... Args>
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> labels,
         Args... metric_args)
      : FamilyBase(std::move(name), std::move(help), type, std::move(labels)),
        make_([metric_args...] { return std::make_unique<Metric>(metric_args...); }) {}

  // The child with these label values (one per label name, in order), created if new.
  // std::invalid_argument / std::length_error as in the contract above.
  Metric& with(const std::vector<std::string>& values = {});

 private:
  void render_samples(std::string& out) const override;

  std::function<std::unique_ptr<Metric>()> make_;
  // GUARDED_BY(mu_); the Metric objects themselves are atomic and never move.
  std::vector<std::pair<std::vector<std::string>, std::unique_ptr<Metric>>> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  CounterFamily& counter(std::string name, std::string help, std::vector<std::string> labels = {});
  GaugeFamily& gauge(std::string name, std::string help, std::vector<std::string> labels = {});
  HistogramFamily& histogram(std::string name, std::string help, std::vector<std::string> labels,
                             std::vector<double> bounds);

  // Runs before every render, in registration order (refreshes scrape-time gauges).
  void on_scrape(std::function<void()> refresh);

  std::string render();

 private:
  template <typename F>
  F& add(std::unique_ptr<F> family);

  std::mutex mu_;
  std::vector<std::unique_ptr<FamilyBase>> families_;  // GUARDED_BY(mu_)
  std::vector<std::function<void()>> refreshers_;      // GUARDED_BY(mu_)
};

}  // namespace claimsync::node
