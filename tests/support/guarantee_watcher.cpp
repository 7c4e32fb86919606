#include "tests/support/guarantee_watcher.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

namespace claimsync::testing {

namespace {
constexpr std::size_t kMaxViolations = 20;
}

MembershipWatcher::MembershipWatcher(const PgCluster& pg, std::chrono::milliseconds interval)
    : pg_(pg), interval_(interval), t0_(std::chrono::steady_clock::now()) {
  thread_ = std::thread([this] { loop(); });
}

MembershipWatcher::~MembershipWatcher() { stop(); }

void MembershipWatcher::begin_monotonic(const std::string& name) {
  std::lock_guard lock(mu_);
  window_ = name;
  high_.reset();
}

void MembershipWatcher::end_monotonic() {
  std::lock_guard lock(mu_);
  window_.clear();
  high_.reset();
}

void MembershipWatcher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<std::int64_t> MembershipWatcher::sample_rows() const {
  try {
    // PgCluster::query connects with connect_timeout=5; the statement is bounded too.
    const auto rows = pg_.query(
        "SELECT count(*) FROM membership WHERE pg_catalog.set_config("
        "'statement_timeout', '3000', true) IS NOT NULL");
    if (rows.size() != 1 || !rows[0].at(0)) return std::nullopt;
    return std::stoll(*rows[0][0]);
  } catch (const std::exception&) {
    return std::nullopt;  // database down, table not created yet, timeout: skip the sample
  }
}

void MembershipWatcher::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const std::string window_before = window_;
    lock.unlock();
    const std::optional<std::int64_t> rows = sample_rows();
    const double at = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    lock.lock();
    if (!rows) {
      ++failed_;
    } else if (window_ != window_before) {
      // The window changed while sampling: the sample belongs to neither side for sure.
    } else {
      samples_.push_back({at, *rows, window_});
      if (!window_.empty()) {
        if (high_ && *rows < *high_ && violations_.size() < kMaxViolations) {
          char text[256];
          std::snprintf(text, sizeof text,
                        "window '%s': membership rows went from %lld down to %lld at %.1f s",
                        window_.c_str(), static_cast<long long>(*high_),
                        static_cast<long long>(*rows), at);
          violations_.push_back(text);
        }
        if (!high_ || *rows > *high_) high_ = *rows;
      }
    }
    // The sampling period of a watcher (woken early by stop()), not a wait for a condition.
    cv_.wait_for(lock, interval_, [&] { return stopping_; });
  }
}

std::vector<std::string> MembershipWatcher::violations() const {
  std::lock_guard lock(mu_);
  return violations_;
}

std::size_t MembershipWatcher::samples() const {
  std::lock_guard lock(mu_);
  return samples_.size();
}

std::size_t MembershipWatcher::samples_in_windows() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& s : samples_) n += s.window.empty() ? 0 : 1;
  return n;
}

std::size_t MembershipWatcher::failed_samples() const {
  std::lock_guard lock(mu_);
  return failed_;
}

std::string MembershipWatcher::summary() const {
  std::lock_guard lock(mu_);
  struct Span {
    std::int64_t first = 0, min = 0, max = 0, last = 0;
    std::size_t n = 0;
    double from = 0, to = 0;
  };
  std::vector<std::pair<std::string, Span>> spans;  // consecutive samples of one window
  for (const auto& s : samples_) {
    if (s.window.empty()) continue;
    if (spans.empty() || spans.back().first != s.window || s.at_s - spans.back().second.to > 5) {
      spans.push_back({s.window, Span{s.rows, s.rows, s.rows, s.rows, 0, s.at_s, s.at_s}});
    }
    Span& sp = spans.back().second;
    sp.min = std::min(sp.min, s.rows);
    sp.max = std::max(sp.max, s.rows);
    sp.last = s.rows;
    sp.to = s.at_s;
    ++sp.n;
  }
  std::ostringstream o;
  o << "watcher: " << samples_.size() << " samples (" << failed_ << " failed)";
  for (const auto& [name, sp] : spans) {
    o << "; '" << name << "' " << sp.from << ".." << sp.to << " s: rows " << sp.first << " -> "
      << sp.last << " (min " << sp.min << ", max " << sp.max << ", " << sp.n << " samples)";
  }
  return o.str();
}

}  // namespace claimsync::testing
