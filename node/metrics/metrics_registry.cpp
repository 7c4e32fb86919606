#include "node/metrics/metrics_registry.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

#include "node/metrics/exposition_text.hpp"

namespace claimsync::node {
namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// 0x followed by more than 16 hex digits: an address, a hash, a key. Never a label.
bool looks_like_identifier(const std::string& v) {
  if (v.size() <= 2 + 16 || v[0] != '0' || (v[1] != 'x' && v[1] != 'X')) return false;
  return std::all_of(v.begin() + 2, v.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

void check_bounds(const std::vector<double>& bounds) {
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) {
      throw std::invalid_argument("histogram bounds must be finite and strictly increasing");
    }
  }
}

}  // namespace

void Counter::raise_to(std::uint64_t total) {
  std::uint64_t cur = value_.load(std::memory_order_relaxed);
  while (cur < total && !value_.compare_exchange_weak(cur, total, std::memory_order_relaxed)) {
  }
}

void Gauge::set(double value) {
  value_.store(value, std::memory_order_relaxed);
  set_.store(true, std::memory_order_relaxed);
}

void Gauge::add(double delta) {
  value_.fetch_add(delta, std::memory_order_relaxed);
  set_.store(true, std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  check_bounds(bounds_);
}

void Histogram::observe(double value) {
  if (std::isnan(value)) return;
  // Buckets are few (about a dozen): upper_bound is a handful of compares. A value equal
  // to a bound belongs to that bound's bucket (le = "less or equal").
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.cumulative.resize(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

const char* metric_type_name(MetricType type) {
  switch (type) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}

std::vector<double> rpc_duration_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

std::vector<double> db_duration_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type,
                       std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)) {
  if (!valid_metric_name(name_)) throw std::invalid_argument("invalid metric name: " + name_);
  if (type_ == MetricType::kCounter && !ends_with(name_, "_total")) {
    throw std::invalid_argument("a counter's name ends in _total: " + name_);
  }
  if (type_ != MetricType::kCounter && ends_with(name_, "_total")) {
    throw std::invalid_argument("only counters end in _total: " + name_);
  }
  for (std::size_t i = 0; i < label_names_.size(); ++i) {
    const std::string& l = label_names_[i];
    if (!valid_label_name(l)) throw std::invalid_argument("invalid label name: " + l);
    if (type_ == MetricType::kHistogram && l == "le") {
      throw std::invalid_argument("label le is reserved for histogram buckets: " + name_);
    }
    if (std::find(label_names_.begin(), label_names_.begin() + static_cast<std::ptrdiff_t>(i), l) !=
        label_names_.begin() + static_cast<std::ptrdiff_t>(i)) {
      throw std::invalid_argument("duplicate label name " + l + " in " + name_);
    }
  }
}

void FamilyBase::check_values(const std::vector<std::string>& values) const {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument(name_ + ": " + std::to_string(label_names_.size()) +
                                " label values expected, got " + std::to_string(values.size()));
  }
  for (const auto& v : values) {
    if (looks_like_identifier(v)) {
      throw std::invalid_argument(name_ + ": an address or hash is never a label value");
    }
  }
}

std::string FamilyBase::label_prefix(const std::vector<std::string>& values) const {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    out += i == 0 ? "{" : ",";
    out += label_names_[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out += '"';
  }
  return out;
}

void FamilyBase::render(std::string& out) const {
  out += "# HELP " + name_ + " " + escape_help(help_) + "\n";
  out += "# TYPE " + name_ + " " + metric_type_name(type_) + "\n";
  render_samples(out);
}

template <typename Metric>
Metric& Family<Metric>::with(const std::vector<std::string>& values) {
  check_values(values);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [v, m] : children_) {
    if (v == values) return *m;
  }
  if (children_.size() >= kMaxChildren) {
    throw std::length_error(name() + ": more than " + std::to_string(kMaxChildren) + " series");
  }
  children_.emplace_back(values, make_());
  return *children_.back().second;
}

namespace {

// `prefix` is label_prefix(): "" or `{a="x"` (still open).
std::string close(const std::string& prefix) { return prefix.empty() ? "" : prefix + "}"; }

}  // namespace

template <>
void Family<Counter>::render_samples(std::string& out) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [values, c] : children_) {
    out += name() + close(label_prefix(values)) + " " + format_value(c->value()) + "\n";
  }
}

template <>
void Family<Gauge>::render_samples(std::string& out) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [values, g] : children_) {
    if (!g->has_value()) continue;
    out += name() + close(label_prefix(values)) + " " + format_value(g->value()) + "\n";
  }
}

template <>
void Family<Histogram>::render_samples(std::string& out) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [values, h] : children_) {
    const std::string prefix = label_prefix(values);
    const std::string bucket_open = name() + "_bucket" + (prefix.empty() ? "{" : prefix + ",");
    const Histogram::Snapshot s = h->snapshot();
    const std::vector<double>& bounds = h->bounds();
    for (std::size_t i = 0; i <= bounds.size(); ++i) {
      const std::string le = i < bounds.size() ? format_value(bounds[i]) : "+Inf";
      out += bucket_open + "le=\"" + le + "\"} " + format_value(s.cumulative[i]) + "\n";
    }
    out += name() + "_sum" + close(prefix) + " " + format_value(s.sum) + "\n";
    out += name() + "_count" + close(prefix) + " " + format_value(s.count) + "\n";
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

template <typename F>
F& MetricsRegistry::add(std::unique_ptr<F> family) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& f : families_) {
    if (f->name() == family->name()) {
      throw std::invalid_argument("metric registered twice: " + family->name());
    }
  }
  F& ref = *family;
  families_.push_back(std::move(family));
  return ref;
}

CounterFamily& MetricsRegistry::counter(std::string name, std::string help,
                                        std::vector<std::string> labels) {
  return add(std::make_unique<CounterFamily>(std::move(name), std::move(help), MetricType::kCounter,
                                             std::move(labels)));
}

GaugeFamily& MetricsRegistry::gauge(std::string name, std::string help,
                                    std::vector<std::string> labels) {
  return add(std::make_unique<GaugeFamily>(std::move(name), std::move(help), MetricType::kGauge,
                                           std::move(labels)));
}

HistogramFamily& MetricsRegistry::histogram(std::string name, std::string help,
                                            std::vector<std::string> labels,
                                            std::vector<double> bounds) {
  check_bounds(bounds);  // before registering: a bad family must not stay registered
  return add(std::make_unique<HistogramFamily>(std::move(name), std::move(help),
                                               MetricType::kHistogram, std::move(labels),
                                               std::move(bounds)));
}

void MetricsRegistry::on_scrape(std::function<void()> refresh) {
  std::lock_guard<std::mutex> lock(mu_);
  refreshers_.push_back(std::move(refresh));
}

std::string MetricsRegistry::render() {
  std::vector<std::function<void()>> refreshers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    refreshers = refreshers_;
  }
  for (const auto& refresh : refreshers) refresh();  // without mu_: they may use the registry
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& f : families_) f->render(out);
  return out;
}

}  // namespace claimsync::node
