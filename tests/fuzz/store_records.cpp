// Fuzz target: the RocksDB record codecs (storage/claim, storage/store_layout, RangeSet),
// as read back after a crash or a disk fault. Input: byte 0 selects the record kind, the
// rest is split into key and value where the kind has both.
// Contract: a value or kCorruption with a message, never a crash; what decodes
// re-encodes to the same bytes (the formats are canonical); a RangeSet built from any
// ranges stays merged and agrees with holes().
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/byte_codec.hpp"
#include "storage/claim.hpp"
#include "storage/range_set.hpp"
#include "storage/store_layout.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace claimsync;
using namespace claimsync::store;

namespace {

void check_error(const Status& s) {
  FUZZ_CHECK(s.code() == ErrorCode::kCorruption, "record errors are kCorruption");
  FUZZ_CHECK(!s.message().empty(), "record errors say what is wrong");
}

void fuzz_claim(std::string_view in) {
  if (in.size() < ClaimKey::kEncodedSize) {
    auto key = ClaimKey::decode(in);
    FUZZ_CHECK(!key.ok(), "a short claim key is refused");
    check_error(key.status());
    return;
  }
  auto key = ClaimKey::decode(in.substr(0, ClaimKey::kEncodedSize));
  FUZZ_CHECK(key.ok(), "any 48 bytes are a claim key");
  FUZZ_CHECK(key->encode() == in.substr(0, ClaimKey::kEncodedSize), "claim key round-trips");
  auto parsed = ClaimKey::parse(key->to_string());
  FUZZ_CHECK(parsed.ok() && *parsed == *key, "claim key text form round-trips");
  const std::string_view value = in.substr(ClaimKey::kEncodedSize);
  auto claim = Claim::decode(*key, value);
  if (!claim.ok()) return check_error(claim.status());
  FUZZ_CHECK(claim->encode_value() == value, "claim record re-encodes to the same bytes");
  auto again = Claim::decode(*key, claim->encode_value());
  FUZZ_CHECK(again.ok() && again->encode_value() == value, "re-encoded claim decodes");
  FUZZ_CHECK(parse_claim_state(claim_state_name(claim->state)).ok(), "state has a name");
}

void fuzz_block(std::string_view in) {
  const std::string_view key = in.substr(0, std::min<std::size_t>(8, in.size()));
  const std::string_view value = in.substr(key.size());
  auto block = layout::decode_block(key, value);
  if (!block.ok()) return check_error(block.status());
  FUZZ_CHECK(encode_u64(block->number) == key, "block key round-trips");
  FUZZ_CHECK(layout::encode_block(*block) == value, "block record round-trips");
}

void fuzz_ranges(std::string_view in) {
  // Pairs of 16 bytes: each a stored range mark (key, value) and a range to add.
  RangeSet set;
  std::uint64_t lo = UINT64_MAX, hi = 0;
  for (std::size_t pos = 0; pos + 16 <= in.size(); pos += 16) {
    auto r = layout::decode_range(in.substr(pos, 8), in.substr(pos + 8, 8));
    if (!r.ok()) {
      check_error(r.status());
      continue;
    }
    FUZZ_CHECK(r->from <= r->to, "a decoded range is not inverted");
    FUZZ_CHECK(encode_u64(r->from) + encode_u64(r->to) == in.substr(pos, 16), "range round-trips");
    // Keep the numbers small enough that holes() stays cheap, but let them collide.
    const BlockRange small{r->from % 4096, r->from % 4096 + (r->to - r->from) % 64};
    set.add(small);
    lo = std::min(lo, small.from);
    hi = std::max(hi, small.to);
    FUZZ_CHECK(set.is_merged(), "RangeSet stays merged after add");
    FUZZ_CHECK(set.end_of_interval_containing(small.from).value_or(0) >= small.to,
               "an added range is covered");
  }
  if (set.empty()) return;
  // Every block of [lo, hi] is in exactly one of: an interval, a hole.
  std::uint64_t covered = 0;
  for (const BlockRange& r : set.ranges()) covered += r.to - r.from + 1;
  std::uint64_t holes = 0;
  for (const BlockRange& h : set.holes(lo, hi)) {
    FUZZ_CHECK(!set.end_of_interval_containing(h.from), "a hole is not covered");
    holes += h.to - h.from + 1;
  }
  FUZZ_CHECK(covered + holes == hi - lo + 1, "intervals and holes partition the span");
  // Truncation keeps the set merged and drops everything above.
  const std::uint64_t cut = lo + (hi - lo) / 2;
  set.truncate_above(cut);
  FUZZ_CHECK(set.is_merged(), "RangeSet stays merged after truncate");
  for (const BlockRange& r : set.ranges()) FUZZ_CHECK(r.to <= cut, "nothing above the cut");
}

void fuzz_meta(std::string_view in) {
  auto v = layout::decode_u64(in, "checkpoint");
  if (!v.ok()) return check_error(v.status());
  FUZZ_CHECK(encode_u64(*v) == in, "u64 meta round-trips");
  auto key = layout::claim_key_suffix(in);
  FUZZ_CHECK(!key.ok(), "8 bytes hold no claim key");
}

void fuzz_index_key(std::string_view in) {
  auto key = layout::claim_key_suffix(in);
  if (!key.ok()) return check_error(key.status());
  FUZZ_CHECK(key->encode() == in.substr(in.size() - ClaimKey::kEncodedSize), "suffix is the key");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0: fuzz_claim(in); break;
    case 1: fuzz_block(in); break;
    case 2: fuzz_ranges(in); break;
    case 3: fuzz_meta(in); break;
    default: fuzz_index_key(in); break;
  }
  return 0;
}
