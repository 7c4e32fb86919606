// The messages of an eth_subscribe("newHeads") WebSocket session, as pure functions:
// requests out, frames in. No I/O, no state: the session (rpc/new_heads_subscription.hpp)
// owns the socket and decides what to do with what these return.
//
// Contract:
//   * Nothing here throws on any input: a frame that is not what was expected comes back
//     as a FrameProblem with a short detail safe to log (never the whole frame).
//   * A head is valid when the frame is a JSON object {"method": "eth_subscription",
//     "params": {"subscription": <our id>, "result": {"number": quantity, "hash": 32-byte
//     hash, ...}}}. Other fields are ignored. Numbers are not checked against earlier
//     heads: a head that goes backwards (a reorg) is a valid head.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "rpc/hash32.hpp"
#include "rpc/status.hpp"

namespace claimsync::eth {

// A new head announced by a subscription: a hint that block `number` exists.
struct HeadHint {
  std::uint64_t number = 0;
  Hash32 hash;
  std::string url;  // the redacted WebSocket URL it came from ("" from the parser)
};

// Why a frame was not used.
enum class FrameProblem {
  kNotJson,            // not a JSON document (or not an object / array)
  kUnexpected,         // JSON, but neither the reply awaited nor a subscription notification
  kWrongSubscription,  // a notification for a subscription id that is not ours
  kMalformedHead,      // our notification, but number / hash missing or ill-formed
};
inline constexpr std::size_t kFrameProblemCount = 4;
// "not_json", "unexpected", "wrong_subscription", "malformed_head".
const char* frame_problem_name(FrameProblem problem);

// What a frame read while subscribed is: a head, or why it is not one.
struct HeadFrame {
  std::optional<HeadHint> head;  // set when the frame is a valid head of `subscription_id`
  FrameProblem problem = FrameProblem::kUnexpected;  // when !head
  std::string detail;                                // when !head
};
HeadFrame parse_head_notification(std::string_view frame, std::string_view subscription_id);

// What a frame read while waiting for the reply to request `id` is.
struct ReplyFrame {
  enum class Kind {
    kResult,  // the reply to `id`, with a result (may be JSON null)
    kError,   // the reply to `id`, with an error object
    kOther,   // not the reply to `id` (keep waiting); `problem` says what it is
  };
  Kind kind = Kind::kOther;
  nlohmann::json result;                             // kResult
  std::string error;                                 // kError: the error object, as text
  FrameProblem problem = FrameProblem::kUnexpected;  // kOther
};
ReplyFrame parse_reply(std::string_view frame, std::uint64_t id);

// Requests, as text frames.
std::string chain_id_request(std::uint64_t id);             // eth_chainId
std::string subscribe_new_heads_request(std::uint64_t id);  // eth_subscribe ["newHeads"]

// The result of eth_chainId: a hex quantity. kBadResponse otherwise.
Result<std::uint64_t> chain_id_of(const nlohmann::json& result);
// The result of eth_subscribe: a non-empty string (the subscription id). kBadResponse otherwise.
Result<std::string> subscription_id_of(const nlohmann::json& result);

}  // namespace claimsync::eth
