// The newHeads message parser and the ws:// URL parser: pure functions, bytes in, a head
// (or reply) or the kind of garbage out. Nothing throws, whatever the input.
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "rpc/new_heads_message.hpp"
#include "rpc/ws_url.hpp"

using namespace claimsync;
using namespace claimsync::eth;
using nlohmann::json;

namespace {

const std::string kSub = "0x9cef478923ff08bf67fde6c64013158d";
const std::string kHash = "0x" + std::string(62, '0') + "ab";

std::string notification(const std::string& sub, json result) {
  return json{{"jsonrpc", "2.0"},
              {"method", "eth_subscription"},
              {"params", {{"subscription", sub}, {"result", std::move(result)}}}}
      .dump();
}

json header(json number, json hash) {
  return {{"number", std::move(number)},
          {"hash", std::move(hash)},
          {"parentHash", "0x" + std::string(64, '1')},
          {"timestamp", "0x6553f100"}};
}

FrameProblem problem_of(const std::string& frame) {
  const HeadFrame f = parse_head_notification(frame, kSub);
  REQUIRE_FALSE(f.head.has_value());
  CHECK_FALSE(f.detail.empty());
  CHECK(f.detail.size() < 100);
  return f.problem;
}

}  // namespace

TEST_CASE("a newHeads notification of our subscription is a head", "[new_heads]") {
  const HeadFrame f = parse_head_notification(notification(kSub, header("0x1b4", kHash)), kSub);
  REQUIRE(f.head.has_value());
  CHECK(f.head->number == 436);
  CHECK(f.head->hash.hex() == kHash);
  CHECK(f.head->url.empty());
  // Upper-case hex and leading zeros are fine; a head may go backwards (no state here).
  const HeadFrame g = parse_head_notification(notification(kSub, header("0x0001", kHash)), kSub);
  REQUIRE(g.head.has_value());
  CHECK(g.head->number == 1);
}

TEST_CASE("garbage is classified, never thrown", "[new_heads]") {
  using P = FrameProblem;
  CHECK(problem_of("") == P::kNotJson);
  CHECK(problem_of("not json") == P::kNotJson);
  CHECK(problem_of("{\"jsonrpc\":") == P::kNotJson);
  CHECK(problem_of("42") == P::kNotJson);
  CHECK(problem_of("\"eth_subscription\"") == P::kNotJson);
  CHECK(problem_of(std::string("\0\xff\xfe", 3)) == P::kNotJson);
  CHECK(problem_of("[]") == P::kUnexpected);
  CHECK(problem_of("{}") == P::kUnexpected);
  CHECK(problem_of("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":\"0x1\"}") == P::kUnexpected);
  CHECK(problem_of("{\"method\":7}") == P::kUnexpected);
  CHECK(problem_of("{\"method\":\"eth_subscription\"}") == P::kUnexpected);
  CHECK(problem_of("{\"method\":\"eth_subscription\",\"params\":[1]}") == P::kUnexpected);
  CHECK(problem_of("{\"method\":\"eth_subscription\",\"params\":{\"subscription\":5}}") ==
        P::kUnexpected);
  CHECK(problem_of(notification("0xother", header("0x1", kHash))) == P::kWrongSubscription);
  CHECK(problem_of(notification(kSub, json())) == P::kMalformedHead);
  CHECK(problem_of(notification(kSub, json::array())) == P::kMalformedHead);
  CHECK(problem_of(notification(kSub, {{"hash", kHash}})) == P::kMalformedHead);
  CHECK(problem_of(notification(kSub, header(json(), kHash))) == P::kMalformedHead);
  CHECK(problem_of(notification(kSub, header(436, kHash))) == P::kMalformedHead);
  CHECK(problem_of(notification(kSub, header("0xzz", kHash))) == P::kMalformedHead);
  CHECK(problem_of(notification(kSub, header("0x", kHash))) == P::kMalformedHead);
  CHECK(problem_of(notification(kSub, header("0x1" + std::string(16, '0'), kHash))) ==
        P::kMalformedHead);  // > 64 bits
  CHECK(problem_of(notification(kSub, header("0x1", "0x1234"))) == P::kMalformedHead);
  CHECK(problem_of(notification(kSub, header("0x1", kHash + "00"))) == P::kMalformedHead);
  CHECK(problem_of(notification(kSub, header("0x1", json()))) == P::kMalformedHead);
  CHECK(problem_of(notification(kSub, {{"number", "0x1"}})) == P::kMalformedHead);
  // A huge subscription id in the detail is clipped.
  const HeadFrame f =
      parse_head_notification(notification(std::string(5000, 'x'), header("0x1", kHash)), kSub);
  CHECK(f.problem == P::kWrongSubscription);
  CHECK(f.detail.size() < 100);
  CHECK(std::string(frame_problem_name(P::kMalformedHead)) == "malformed_head");
  CHECK(std::string(frame_problem_name(P::kNotJson)) == "not_json");
  CHECK(std::string(frame_problem_name(P::kWrongSubscription)) == "wrong_subscription");
  CHECK(std::string(frame_problem_name(P::kUnexpected)) == "unexpected");
}

TEST_CASE("replies are matched by id; everything else is not the reply", "[new_heads]") {
  const ReplyFrame ok = parse_reply("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x7a69\"}", 1);
  REQUIRE(ok.kind == ReplyFrame::Kind::kResult);
  CHECK(chain_id_of(ok.result).value() == 31337);
  const ReplyFrame err = parse_reply(
      "{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32601,\"message\":\"no subs\"}}", 2);
  REQUIRE(err.kind == ReplyFrame::Kind::kError);
  CHECK(err.error.find("no subs") != std::string::npos);
  CHECK(parse_reply("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":\"0x1\"}", 1).kind ==
        ReplyFrame::Kind::kOther);
  CHECK(parse_reply("{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":\"0x1\"}", 1).kind ==
        ReplyFrame::Kind::kOther);
  CHECK(parse_reply(notification(kSub, header("0x1", kHash)), 1).problem ==
        FrameProblem::kUnexpected);
  const ReplyFrame junk = parse_reply("<html>", 1);
  CHECK(junk.kind == ReplyFrame::Kind::kOther);
  CHECK(junk.problem == FrameProblem::kNotJson);
  // A reply without result is a null result (the caller's decoder rejects it).
  const ReplyFrame null_result = parse_reply("{\"id\":1}", 1);
  REQUIRE(null_result.kind == ReplyFrame::Kind::kResult);
  CHECK_FALSE(chain_id_of(null_result.result).ok());

  CHECK(chain_id_of(json("0xa4b1")).value() == 42161);
  CHECK(chain_id_of(json(42161)).status().code() == ErrorCode::kBadResponse);
  CHECK(chain_id_of(json("42161")).status().code() == ErrorCode::kBadResponse);
  CHECK(subscription_id_of(json(kSub)).value() == kSub);
  CHECK(subscription_id_of(json("")).status().code() == ErrorCode::kBadResponse);
  CHECK(subscription_id_of(json(true)).status().code() == ErrorCode::kBadResponse);
}

TEST_CASE("requests are JSON-RPC 2.0 objects with our ids", "[new_heads]") {
  const json chain = json::parse(chain_id_request(1));
  CHECK(chain ==
        json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "eth_chainId"}, {"params", json::array()}});
  const json sub = json::parse(subscribe_new_heads_request(2));
  CHECK(sub["method"] == "eth_subscribe");
  CHECK(sub["id"] == 2);
  CHECK(sub["params"] == json::array({"newHeads"}));
}

TEST_CASE("ws:// and wss:// URLs", "[new_heads]") {
  const WsUrl plain = parse_ws_url("ws://127.0.0.1:8545").value();
  CHECK_FALSE(plain.tls);
  CHECK(plain.host == "127.0.0.1");
  CHECK(plain.port == 8545);
  CHECK(plain.target == "/");
  CHECK(plain.host_header() == "127.0.0.1:8545");
  CHECK(plain.redacted() == "ws://127.0.0.1:8545");
  const WsUrl tls = parse_ws_url("WSS://arb-mainnet.example/v2/SeCrEt?x=1").value();
  CHECK(tls.tls);
  CHECK(tls.port == 443);
  CHECK(tls.target == "/v2/SeCrEt?x=1");
  CHECK(tls.redacted() == "wss://arb-mainnet.example:443/…");
  CHECK(parse_ws_url("ws://h").value().port == 80);
  const WsUrl v6 = parse_ws_url("ws://[::1]:9000/ws").value();
  CHECK(v6.host == "::1");
  CHECK(v6.host_header() == "[::1]:9000");
  for (const char* bad : {"http://h", "h:80", "ws://", "ws://:80", "ws://h:0", "ws://h:65536",
                          "ws://h:x", "ws://u:p@h", "ws://[::1"}) {
    INFO(bad);
    CHECK(parse_ws_url(bad).status().code() == ErrorCode::kInvalidArgument);
  }
}
