// Fuzz target: the eth_getLogs response decoders, differentially. The SAX fast path
// (rpc/logs_response_sax) against the DOM path (parse_rpc_response + decode_log).
// Input: a response body. Contract (logs_response_sax.hpp): the fast path accepts a
// strict subset of what the DOM path accepts, and decodes it to the same logs; and on the
// canonical body of any logs the DOM path accepted (what a node sends) the fast path
// answers, with the same logs.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rpc/json_decode.hpp"
#include "rpc/json_rpc.hpp"
#include "rpc/logs_response_sax.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/support/logs_response_bodies.hpp"

using namespace claimsync;
using namespace claimsync::eth;
using nlohmann::json;

namespace {

constexpr std::uint64_t kId = 77;

std::optional<std::vector<LogEntry>> dom_decode(const std::string& body) {
  auto replies = parse_rpc_response(body, kId, 1, false);
  if (!replies.ok()) {
    FUZZ_CHECK(!replies.status().message().empty(), "a refusal says why");
    return std::nullopt;
  }
  FUZZ_CHECK(replies->size() == 1, "one call, one reply");
  if ((*replies)[0].error || !(*replies)[0].result.is_array()) return std::nullopt;
  std::vector<LogEntry> out;
  for (const json& item : (*replies)[0].result) {
    auto log = decode_log(item);
    if (!log.ok()) {
      FUZZ_CHECK(log.status().code() == ErrorCode::kBadResponse, "decode_log: kBadResponse");
      return std::nullopt;
    }
    out.push_back(std::move(*log));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  const auto fast = decode_logs_response_fast(body, kId);
  const auto dom = dom_decode(body);
  if (fast) {
    FUZZ_CHECK(dom.has_value(), "the fast path accepted a body the DOM path refuses");
    FUZZ_CHECK(testing::same_logs(*fast, *dom),
               "the fast path and the DOM path decoded different logs");
  }
  if (dom) {
    const std::string canonical = testing::logs_response_body(*dom, kId);
    const auto fast_again = decode_logs_response_fast(canonical, kId);
    FUZZ_CHECK(fast_again.has_value(), "the fast path refused a canonical body");
    FUZZ_CHECK(testing::same_logs(*fast_again, *dom), "canonical body decoded to other logs");
  }
  return 0;
}
