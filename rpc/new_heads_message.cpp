#include "rpc/new_heads_message.hpp"

#include "rpc/json_decode.hpp"

namespace claimsync::eth {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxDetail = 80;  // a detail is a hint for the operator, not a dump

std::string clip(std::string text) {
  if (text.size() > kMaxDetail) text = text.substr(0, kMaxDetail) + "…";
  return text;
}

HeadFrame problem(FrameProblem kind, std::string detail) {
  HeadFrame out;
  out.problem = kind;
  out.detail = clip(std::move(detail));
  return out;
}

// The document, or a discarded value when the frame is not JSON.
json parse_json(std::string_view frame) {
  return json::parse(frame.begin(), frame.end(), nullptr, /*allow_exceptions=*/false);
}

bool is_reply_to(const json& msg, std::uint64_t id) {
  if (!msg.is_object()) return false;
  const auto it = msg.find("id");
  return it != msg.end() && it->is_number_unsigned() && it->get<std::uint64_t>() == id;
}

std::string request(std::uint64_t id, const char* method, json params) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}}
      .dump();
}

}  // namespace

const char* frame_problem_name(FrameProblem problem) {
  switch (problem) {
    case FrameProblem::kNotJson: return "not_json";
    case FrameProblem::kUnexpected: return "unexpected";
    case FrameProblem::kWrongSubscription: return "wrong_subscription";
    case FrameProblem::kMalformedHead: return "malformed_head";
  }
  return "unexpected";
}

HeadFrame parse_head_notification(std::string_view frame, std::string_view subscription_id) {
  const json msg = parse_json(frame);
  if (msg.is_discarded() || !msg.is_structured())
    return problem(FrameProblem::kNotJson, "not a JSON object");
  if (!msg.is_object() || msg.value("method", json()) != "eth_subscription")
    return problem(FrameProblem::kUnexpected, "not an eth_subscription notification");
  const auto params = msg.find("params");
  if (params == msg.end() || !params->is_object())
    return problem(FrameProblem::kUnexpected, "notification without a params object");
  const auto sub = params->find("subscription");
  if (sub == params->end() || !sub->is_string())
    return problem(FrameProblem::kUnexpected, "notification without a subscription id");
  if (sub->get<std::string>() != subscription_id)
    return problem(FrameProblem::kWrongSubscription, "subscription " + sub->get<std::string>());
  const auto result = params->find("result");
  if (result == params->end() || !result->is_object())
    return problem(FrameProblem::kMalformedHead, "result is not a block header object");
  Result<std::uint64_t> number = decode_quantity_field(*result, "number");
  if (!number.ok()) return problem(FrameProblem::kMalformedHead, number.status().message());
  Result<Hash32> hash = decode_hash_field(*result, "hash");
  if (!hash.ok()) return problem(FrameProblem::kMalformedHead, hash.status().message());
  HeadFrame out;
  out.head = HeadHint{*number, *hash, ""};
  return out;
}

ReplyFrame parse_reply(std::string_view frame, std::uint64_t id) {
  ReplyFrame out;
  const json msg = parse_json(frame);
  if (msg.is_discarded() || !msg.is_structured()) {
    out.problem = FrameProblem::kNotJson;
    return out;
  }
  if (!is_reply_to(msg, id)) return out;  // kOther, kUnexpected
  if (const auto err = msg.find("error"); err != msg.end() && !err->is_null()) {
    out.kind = ReplyFrame::Kind::kError;
    out.error = clip(err->dump());
    return out;
  }
  out.kind = ReplyFrame::Kind::kResult;
  out.result = msg.value("result", json());
  return out;
}

std::string chain_id_request(std::uint64_t id) { return request(id, "eth_chainId", json::array()); }

std::string subscribe_new_heads_request(std::uint64_t id) {
  return request(id, "eth_subscribe", json::array({"newHeads"}));
}

Result<std::uint64_t> chain_id_of(const json& result) {
  const std::optional<std::uint64_t> id =
      result.is_string() ? parse_quantity(result.get<std::string>()) : std::nullopt;
  if (!id) return error(ErrorCode::kBadResponse, "eth_chainId result is not a hex quantity");
  return *id;
}

Result<std::string> subscription_id_of(const json& result) {
  if (!result.is_string() || result.get<std::string>().empty())
    return error(ErrorCode::kBadResponse, "eth_subscribe result is not a subscription id");
  return result.get<std::string>();
}

}  // namespace claimsync::eth
