// Fuzz target: ABI decoding of balanceOfBatch results (rpc/abi) and of head words.
// Input: return data. Contract: a value or kCorruption with a message; a decoded array
// has no more elements than the data has words, and its canonical encoding decodes to it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "rpc/abi.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace claimsync;
using namespace claimsync::eth;

namespace {

void check_error(const Status& s) {
  FUZZ_CHECK(s.code() == ErrorCode::kCorruption, "abi errors are kCorruption");
  FUZZ_CHECK(!s.message().empty(), "abi errors say what is wrong");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView in(data, size);
  auto arr = abi::decode_uint256_array(in);
  if (arr.ok()) {
    FUZZ_CHECK(arr->size() <= size / abi::kWordSize, "no more elements than words");
    std::vector<abi::Value> args{*arr};
    const Bytes encoded = abi::encode_args(args);
    FUZZ_CHECK(encoded.size() == 64 + 32 * arr->size(), "canonical size");
    auto again = abi::decode_uint256_array(encoded);
    FUZZ_CHECK(again.ok() && *again == *arr, "uint256[] round-trips");
    if (!arr->empty()) {
      auto capped = abi::decode_uint256_array_at(in, 0, arr->size() - 1);
      FUZZ_CHECK(!capped.ok(), "max_len is enforced");
      check_error(capped.status());
    }
  } else {
    check_error(arr.status());
  }
  for (std::size_t index = 0; index < 3; ++index) {
    auto word = abi::decode_uint256(in, index);
    FUZZ_CHECK(word.ok() == (size >= 32 * (index + 1)), "a head word is there iff in bounds");
    if (!word.ok()) {
      check_error(word.status());
      continue;
    }
    abi::Word raw{};
    std::copy(data + 32 * index, data + 32 * (index + 1), raw.begin());
    FUZZ_CHECK(abi::encode_word(*word) == raw, "uint256 word round-trips");
    auto addr = abi::decode_address(in, index);
    if (addr.ok())
      FUZZ_CHECK(abi::encode_word(*addr) == abi::encode_word(*word), "address word round-trips");
    else
      check_error(addr.status());
  }
  return 0;
}
