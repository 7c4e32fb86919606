// RangeSet: scanned block ranges as a merged set of inclusive intervals.
//
// Invariant: intervals are disjoint and never adjacent ([1,5] + [6,9] is stored as
// [1,9]), so "the range containing b" is unique and a hole is any gap between two
// intervals. The plan_* calls say what an update would change without changing
// anything, so NodeStore can write the change durably first and apply it in memory
// only after the write succeeded.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "storage/node_store.hpp"

namespace claimsync::store {

class RangeSet {
 public:
  // Adding a range absorbs every interval it overlaps or touches into one.
  struct Merge {
    std::vector<BlockRange> absorbed;  // existing intervals replaced by `merged`
    BlockRange merged;
  };
  // Truncating drops everything above a block.
  struct Truncation {
    std::vector<BlockRange> removed;  // existing intervals that change or vanish
    std::optional<BlockRange> kept;   // the trimmed remainder of the interval cut in two
  };

  // REQUIRES: r.from <= r.to.
  Merge plan_add(const BlockRange& r) const;
  void add(const BlockRange& r);

  Truncation plan_truncate_above(std::uint64_t last_kept) const;
  void truncate_above(std::uint64_t last_kept);

  // Inserts an interval loaded from disk as is (no merging); validate() checks the result.
  void insert_raw(const BlockRange& r) { set_[r.from] = r.to; }
  // True iff intervals are well formed, disjoint and not adjacent.
  bool is_merged() const;

  std::vector<BlockRange> ranges() const;
  std::size_t size() const { return set_.size(); }
  bool empty() const { return set_.empty(); }
  // Sub-ranges of [from, to] covered by no interval, ascending. Empty if from > to.
  std::vector<BlockRange> holes(std::uint64_t from, std::uint64_t to) const;
  // End of the interval containing `block`; nullopt if no interval contains it.
  std::optional<std::uint64_t> end_of_interval_containing(std::uint64_t block) const;

 private:
  std::map<std::uint64_t, std::uint64_t> set_;  // from -> to
};

}  // namespace claimsync::store
