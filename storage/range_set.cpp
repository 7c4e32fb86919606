#include "storage/range_set.hpp"

#include <algorithm>
#include <limits>

namespace claimsync::store {
namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

// True if [a_from, a_to] followed by a range starting at b_from leaves no gap.
bool touches(std::uint64_t a_to, std::uint64_t b_from) {
  return a_to == kMax || a_to + 1 >= b_from;
}

}  // namespace

RangeSet::Merge RangeSet::plan_add(const BlockRange& r) const {
  Merge m{{}, r};
  auto it = set_.upper_bound(r.from);
  if (it != set_.begin()) {
    auto prev = std::prev(it);
    if (touches(prev->second, r.from)) it = prev;
  }
  for (; it != set_.end() && touches(r.to, it->first); ++it) {
    m.absorbed.push_back({it->first, it->second});
    m.merged.from = std::min(m.merged.from, it->first);
    m.merged.to = std::max(m.merged.to, it->second);
  }
  return m;
}

void RangeSet::add(const BlockRange& r) {
  Merge m = plan_add(r);
  for (const auto& a : m.absorbed) set_.erase(a.from);
  set_[m.merged.from] = m.merged.to;
}

RangeSet::Truncation RangeSet::plan_truncate_above(std::uint64_t last_kept) const {
  Truncation t;
  auto it = set_.upper_bound(last_kept);
  if (it != set_.begin()) {
    auto prev = std::prev(it);
    if (prev->second > last_kept) {
      t.removed.push_back({prev->first, prev->second});
      t.kept = BlockRange{prev->first, last_kept};
    }
  }
  for (; it != set_.end(); ++it) t.removed.push_back({it->first, it->second});
  return t;
}

void RangeSet::truncate_above(std::uint64_t last_kept) {
  Truncation t = plan_truncate_above(last_kept);
  for (const auto& r : t.removed) set_.erase(r.from);
  if (t.kept) set_[t.kept->from] = t.kept->to;
}

bool RangeSet::is_merged() const {
  std::optional<std::uint64_t> prev_to;
  for (const auto& [from, to] : set_) {
    if (from > to) return false;
    if (prev_to && touches(*prev_to, from)) return false;
    prev_to = to;
  }
  return true;
}

std::vector<BlockRange> RangeSet::ranges() const {
  std::vector<BlockRange> out;
  out.reserve(set_.size());
  for (const auto& [from, to] : set_) out.push_back({from, to});
  return out;
}

std::vector<BlockRange> RangeSet::holes(std::uint64_t from, std::uint64_t to) const {
  std::vector<BlockRange> out;
  if (from > to) return out;
  std::uint64_t cursor = from;  // first block not yet known to be covered
  auto it = set_.upper_bound(from);
  if (it != set_.begin()) --it;
  for (; it != set_.end() && it->first <= to; ++it) {
    if (it->second < cursor) continue;
    if (it->first > cursor) out.push_back({cursor, it->first - 1});
    if (it->second >= to) return out;
    cursor = it->second + 1;
  }
  out.push_back({cursor, to});
  return out;
}

std::optional<std::uint64_t> RangeSet::end_of_interval_containing(std::uint64_t block) const {
  auto it = set_.upper_bound(block);
  if (it == set_.begin()) return std::nullopt;
  --it;
  if (it->second < block) return std::nullopt;
  return it->second;
}

}  // namespace claimsync::store
