// RangeSet: merging, truncation, holes and the checkpoint query, against a brute-force
// model on small block numbers.
#include <catch2/catch.hpp>

#include <limits>
#include <random>
#include <set>

#include "storage/range_set.hpp"

using claimsync::store::BlockRange;
using claimsync::store::RangeSet;

namespace Catch {
template <>
struct StringMaker<BlockRange> {
  static std::string convert(const BlockRange& r) {
    return "[" + std::to_string(r.from) + ", " + std::to_string(r.to) + "]";
  }
};
}  // namespace Catch

namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

std::vector<BlockRange> list(std::initializer_list<BlockRange> l) { return l; }

// The merged intervals of a set of blocks.
std::vector<BlockRange> intervals_of(const std::set<std::uint64_t>& blocks) {
  std::vector<BlockRange> out;
  for (auto b : blocks) {
    if (!out.empty() && out.back().to + 1 == b) {
      out.back().to = b;
    } else {
      out.push_back({b, b});
    }
  }
  return out;
}

}  // namespace

TEST_CASE("adding ranges merges overlapping and adjacent ones", "[range_set]") {
  RangeSet s;
  s.add({10, 20});
  s.add({30, 40});
  CHECK(s.ranges() == list({{10, 20}, {30, 40}}));
  s.add({21, 29});  // touches both neighbours: everything becomes one
  CHECK(s.ranges() == list({{10, 40}}));
  s.add({15, 16});  // inside: no change
  CHECK(s.ranges() == list({{10, 40}}));
  s.add({5, 9});    // adjacent below
  s.add({41, 41});  // adjacent above
  CHECK(s.ranges() == list({{5, 41}}));
  s.add({0, 100});  // swallows everything
  CHECK(s.ranges() == list({{0, 100}}));
  CHECK(s.is_merged());
}

TEST_CASE("plan_add reports what it would absorb without changing anything", "[range_set]") {
  RangeSet s;
  s.add({1, 3});
  s.add({7, 9});
  s.add({20, 30});
  auto m = s.plan_add({4, 6});
  CHECK(m.absorbed == list({{1, 3}, {7, 9}}));
  CHECK(m.merged == BlockRange{1, 9});
  CHECK(s.size() == 3);
}

TEST_CASE("holes lists the uncovered parts of a query range", "[range_set]") {
  RangeSet s;
  CHECK(s.holes(5, 9) == list({{5, 9}}));
  CHECK(s.holes(9, 5).empty());
  s.add({10, 20});
  s.add({30, 40});
  CHECK(s.holes(0, 50) == list({{0, 9}, {21, 29}, {41, 50}}));
  CHECK(s.holes(10, 20).empty());
  CHECK(s.holes(15, 35) == list({{21, 29}}));
  CHECK(s.holes(25, 25) == list({{25, 25}}));
  CHECK(s.holes(40, 41) == list({{41, 41}}));
}

TEST_CASE("truncate_above cuts the range that straddles the fork and drops those above",
          "[range_set]") {
  RangeSet s;
  s.add({10, 20});
  s.add({30, 40});
  s.add({50, 60});
  auto t = s.plan_truncate_above(35);
  CHECK(t.removed == list({{30, 40}, {50, 60}}));
  REQUIRE(t.kept);
  CHECK(*t.kept == BlockRange{30, 35});
  s.truncate_above(35);
  CHECK(s.ranges() == list({{10, 20}, {30, 35}}));
  s.truncate_above(25);
  CHECK(s.ranges() == list({{10, 20}}));
  s.truncate_above(20);
  CHECK(s.ranges() == list({{10, 20}}));
  s.truncate_above(5);
  CHECK(s.empty());
}

TEST_CASE("end_of_interval_containing is the checkpoint query", "[range_set]") {
  RangeSet s;
  CHECK_FALSE(s.end_of_interval_containing(10));
  s.add({10, 20});
  s.add({25, 30});
  CHECK(s.end_of_interval_containing(10) == 20u);
  CHECK(s.end_of_interval_containing(20) == 20u);
  CHECK_FALSE(s.end_of_interval_containing(21));
  CHECK_FALSE(s.end_of_interval_containing(9));
  s.add({21, 24});  // hole filled: the checkpoint jumps to the end of the next range
  CHECK(s.end_of_interval_containing(10) == 30u);
}

TEST_CASE("ranges at the top of the u64 space do not overflow", "[range_set]") {
  RangeSet s;
  s.add({kMax - 5, kMax});
  s.add({kMax - 10, kMax - 6});
  CHECK(s.ranges() == list({{kMax - 10, kMax}}));
  CHECK(s.holes(kMax - 12, kMax) == list({{kMax - 12, kMax - 11}}));
  CHECK(s.holes(kMax, kMax).empty());
  s.add({0, 0});
  CHECK(s.ranges() == list({{0, 0}, {kMax - 10, kMax}}));
  s.truncate_above(kMax - 1);
  CHECK(s.ranges() == list({{0, 0}, {kMax - 10, kMax - 1}}));
}

TEST_CASE("is_merged rejects overlapping or touching raw intervals", "[range_set]") {
  RangeSet touching;
  touching.insert_raw({1, 5});
  touching.insert_raw({6, 9});
  CHECK_FALSE(touching.is_merged());
  RangeSet overlapping;
  overlapping.insert_raw({1, 5});
  overlapping.insert_raw({3, 9});
  CHECK_FALSE(overlapping.is_merged());
  RangeSet inverted;
  inverted.insert_raw({9, 1});
  CHECK_FALSE(inverted.is_merged());
  RangeSet fine;
  fine.insert_raw({1, 5});
  fine.insert_raw({7, 9});
  CHECK(fine.is_merged());
}

TEST_CASE("random adds and truncations agree with a set of blocks", "[range_set]") {
  std::mt19937_64 rng(12345);
  for (int round = 0; round < 200; ++round) {
    RangeSet s;
    std::set<std::uint64_t> model;
    for (int op = 0; op < 30; ++op) {
      if (rng() % 5 == 0) {
        std::uint64_t cut = rng() % 120;
        s.truncate_above(cut);
        model.erase(model.upper_bound(cut), model.end());
      } else {
        std::uint64_t a = rng() % 100, len = rng() % 12;
        s.add({a, a + len});
        for (auto b = a; b <= a + len; ++b) model.insert(b);
      }
      REQUIRE(s.is_merged());
      REQUIRE(s.ranges() == intervals_of(model));
      std::uint64_t from = rng() % 110, to = from + rng() % 30;
      std::set<std::uint64_t> uncovered;
      for (auto b = from; b <= to; ++b) {
        if (!model.count(b)) uncovered.insert(b);
      }
      REQUIRE(s.holes(from, to) == intervals_of(uncovered));
    }
  }
}
