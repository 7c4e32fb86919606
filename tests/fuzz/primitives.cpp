// Fuzz target: text parsers of Ethereum primitives (rpc/bytes, address, hash32, uint256,
// json_decode quantities). Every parser sees the same input text.
// Contract: a value or kInvalidArgument with a message; parse(format(x)) == x for every
// formatter; formatters emit what the parser's own rules describe.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rpc/address.hpp"
#include "rpc/bytes.hpp"
#include "rpc/hash32.hpp"
#include "rpc/json_decode.hpp"
#include "rpc/uint256.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace claimsync;
using namespace claimsync::eth;

namespace {

void check_error(const Status& s) {
  FUZZ_CHECK(s.code() == ErrorCode::kInvalidArgument, "parse errors are kInvalidArgument");
  FUZZ_CHECK(!s.message().empty(), "parse errors say what is wrong");
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

void check_u256(const U256& v) {
  auto q = U256::from_quantity(v.to_quantity());
  FUZZ_CHECK(q.ok() && *q == v, "U256 quantity round-trips");
  auto d = U256::from_decimal(v.to_decimal());
  FUZZ_CHECK(d.ok() && *d == v, "U256 decimal round-trips");
  const auto word = v.to_word();
  auto w = U256::from_word(word);
  FUZZ_CHECK(w.ok() && *w == v, "U256 word round-trips");
  if (auto small = v.to_u64()) FUZZ_CHECK(U256(*small) == v, "to_u64 keeps the value");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto a = Address::parse(text); a.ok()) {
    auto from_lower = Address::parse(a->lower_hex());
    FUZZ_CHECK(from_lower.ok() && *from_lower == *a, "address lower-hex round-trips");
    auto from_sum = Address::parse(a->checksummed());
    FUZZ_CHECK(from_sum.ok() && *from_sum == *a, "address EIP-55 round-trips");
    FUZZ_CHECK(lower(text) == a->lower_hex(), "an accepted address is its lower-hex");
    std::array<std::uint8_t, 32> word{};
    std::copy(a->bytes().begin(), a->bytes().end(), word.begin() + 12);
    auto w = Address::from_word(word);
    FUZZ_CHECK(w.ok() && *w == *a, "address ABI word round-trips");
  } else {
    check_error(a.status());
  }

  if (auto h = Hash32::parse(text); h.ok()) {
    auto again = Hash32::parse(h->hex());
    FUZZ_CHECK(again.ok() && *again == *h, "hash round-trips");
    FUZZ_CHECK(lower(text) == h->hex(), "an accepted hash is its lower-hex");
  } else {
    check_error(h.status());
  }

  if (auto b = from_hex(text); b.ok()) {
    const std::string hex = to_hex(*b);
    FUZZ_CHECK(hex.size() == 2 + 2 * b->size(), "to_hex length");
    auto again = from_hex(hex);
    FUZZ_CHECK(again.ok() && *again == *b, "bytes hex round-trips");
    auto bare = from_hex(to_hex(*b, false));
    FUZZ_CHECK(bare.ok() && *bare == *b, "unprefixed hex round-trips");
    if (b->size() == 32) FUZZ_CHECK(Hash32::from_bytes(*b).ok(), "32 bytes are a hash");
    if (b->size() == 32) check_u256(*U256::from_word(*b));
  } else {
    check_error(b.status());
  }

  if (auto q = U256::from_quantity(text); q.ok()) {
    check_u256(*q);
    FUZZ_CHECK(lower(text).substr(2) == q->to_quantity().substr(2),
               "an accepted quantity is minimal (no leading zeros)");
  } else {
    check_error(q.status());
  }

  if (auto d = U256::from_decimal(text); d.ok()) {
    check_u256(*d);
  } else {
    check_error(d.status());
  }

  if (auto n = parse_quantity(text)) {
    auto again = parse_quantity(to_quantity(*n));
    FUZZ_CHECK(again && *again == *n, "u64 quantity round-trips");
  }
  if (auto bytes = parse_data(text)) {
    auto again = parse_data(to_hex(*bytes));
    FUZZ_CHECK(again && *again == *bytes, "data round-trips");
    FUZZ_CHECK(from_hex(text).ok(), "parse_data accepts only hex from_hex accepts");
  }
  return 0;
}
