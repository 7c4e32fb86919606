// verify_webhook_delivery and sign_webhook_delivery over every row of the scheme table.
// The published vectors come from reference webhooks-and-attestation.md §1e and §3
// (python hmac, @noble/hashes keccak, the standardwebhooks JS test suite).
#include <catch2/catch.hpp>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "node/webhooks/webhook_scheme.hpp"
#include "node/webhooks/webhook_verifier.hpp"

using namespace claimsync;
using namespace claimsync::node;

namespace {

constexpr std::size_t kMaxBody = 1 << 20;
constexpr std::int64_t kTs = 1700000000;
const std::string kTsText = "1700000000";
const std::string kVectorBody = R"({"a":1})";
const std::string kStandardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

const WebhookScheme& scheme(std::string_view name) {
  for (const WebhookScheme& s : webhook_schemes())
    if (s.name == name) return s;
  FAIL("no scheme row " << name);
  throw std::logic_error("unreachable");
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

struct Request {
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  void set(std::string_view name, std::string value) { headers[lower(name)] = std::move(value); }
  void erase(std::string_view name) { headers.erase(lower(name)); }
  std::function<std::optional<std::string>(std::string_view)> lookup() const {
    return [this](std::string_view name) -> std::optional<std::string> {
      auto it = headers.find(lower(name));
      if (it == headers.end()) return std::nullopt;
      return it->second;
    };
  }
};

// A delivery as the provider sends it: signed with `secret` over (id, ts, body).
Request signed_request(const WebhookScheme& s, const std::string& secret, const std::string& body,
                       const std::string& ts = kTsText, const std::string& id = "nonce1") {
  Request r;
  r.body = body;
  r.set(s.signature_header, sign_webhook_delivery(s, secret, id, ts, body));
  if (!s.timestamp_header.empty()) r.set(s.timestamp_header, ts);
  if (!s.id_header.empty()) r.set(s.id_header, id);
  return r;
}

WebhookVerdict verify(const WebhookScheme& s, const std::string& secret, const Request& r,
                      std::int64_t now = kTs + 5, std::size_t max = kMaxBody) {
  return verify_webhook_delivery(s, secret, r.lookup(), r.body, now, max);
}

// "accepted" or the refusal's metric label, so failures print readably.
std::string outcome(const WebhookVerdict& v) {
  if (v.delivery) return "accepted";
  return std::string(webhook_refusal_label(v.refusal));
}

std::string gzip(const std::string& in) {
  z_stream s{};
  REQUIRE(deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) ==
          Z_OK);
  std::string out(deflateBound(&s, static_cast<uLong>(in.size())), '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&s, Z_FINISH);
  out.resize(s.total_out);
  deflateEnd(&s);
  REQUIRE(rc == Z_STREAM_END);
  return out;
}

// One character of a signature changed, staying inside its alphabet (hex or base64).
std::string forge(std::string sig) {
  char& c = sig[sig.size() / 2];
  c = (c == 'a') ? 'b' : 'a';
  return sig;
}

}  // namespace

TEST_CASE("the table has one row per documented scheme and every provider once") {
  std::vector<std::string_view> names;
  for (const WebhookScheme& s : webhook_schemes()) names.push_back(s.name);
  CHECK(names == std::vector<std::string_view>{"thirdweb-unified", "thirdweb-insight", "alchemy",
                                               "quicknode", "standard", "moralis"});
  std::vector<std::string_view> providers(webhook_providers().begin(), webhook_providers().end());
  CHECK(providers ==
        std::vector<std::string_view>{"thirdweb", "alchemy", "quicknode", "standard", "moralis"});
  for (const WebhookScheme& s : webhook_schemes()) {
    CHECK(std::find(providers.begin(), providers.end(), s.provider) != providers.end());
    CHECK(!s.signature_header.empty());
    CHECK((s.tolerance_s == 0) == s.timestamp_header.empty());
  }
  CHECK(scheme("quicknode").gzip_allowed);
  CHECK(std::count_if(webhook_schemes().begin(), webhook_schemes().end(),
                      [](const WebhookScheme& s) { return s.gzip_allowed; }) == 1);
}

TEST_CASE("select_webhook_scheme picks thirdweb's row by x-webhook-timestamp") {
  auto with = [](std::vector<std::string> present) {
    return [present](std::string_view name) {
      return std::find(present.begin(), present.end(), lower(name)) != present.end();
    };
  };
  auto unified = select_webhook_scheme("thirdweb", with({"x-webhook-timestamp"}));
  REQUIRE(unified);
  CHECK(unified->name == "thirdweb-unified");
  auto insight = select_webhook_scheme("thirdweb", with({"x-webhook-id"}));
  REQUIRE(insight);
  CHECK(insight->name == "thirdweb-insight");
  for (std::string_view p : {"alchemy", "quicknode", "standard", "moralis"}) {
    auto s = select_webhook_scheme(p, with({"x-webhook-timestamp"}));
    REQUIRE(s);
    CHECK(s->name == p);
  }
  CHECK_FALSE(select_webhook_scheme("stripe", with({})));
  CHECK_FALSE(select_webhook_scheme("", with({})));
}

TEST_CASE("published vectors are reproduced by the signer and accepted by the verifier") {
  struct Vector {
    std::string_view scheme;
    std::string secret, id, ts, body, signature;
    std::int64_t now;
  };
  const std::vector<Vector> vectors{
      {"thirdweb-insight", "test123", "", "", kVectorBody,
       "173e22e79188b0733ae6b1d5df97c63297b9cad5bbe1ace9271a8b388c419fec", 0},
      {"alchemy", "test123", "", "", kVectorBody,
       "173e22e79188b0733ae6b1d5df97c63297b9cad5bbe1ace9271a8b388c419fec", 0},
      {"thirdweb-unified", "test123", "", kTsText, kVectorBody,
       "d6511866978b32286b05c19385998760c7f09893ed2a15f213bb8afd5cafa5c7", kTs + 599},
      {"quicknode", "test123", "nonce1", kTsText, kVectorBody,
       "2eeb06835dd44225736253350548a0a32748a0361474122cac1c11ce9d71ece5", kTs - 100},
      {"moralis", "secret123", "", "", kVectorBody,
       "0x21f890b937998246519397d73b7b8580502ec321c3afe0b0eeb9bb19ac308661", 0},
      {"standard", kStandardSecret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
       R"({"test": 2432232314})",
       "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", 1614265330 + 10},
  };
  for (const Vector& v : vectors) {
    INFO(v.scheme);
    const WebhookScheme& s = scheme(v.scheme);
    CHECK(sign_webhook_delivery(s, v.secret, v.id, v.ts, v.body) == v.signature);
    Request r;
    r.body = v.body;
    r.set(s.signature_header, v.signature);
    if (!s.timestamp_header.empty()) r.set(s.timestamp_header, v.ts);
    if (!s.id_header.empty()) r.set(s.id_header, v.id);
    const WebhookVerdict verdict = verify(s, v.secret, r, v.now);
    REQUIRE(outcome(verdict) == "accepted");
    CHECK(verdict.delivery->body == v.body);
    CHECK(verdict.delivery->header_id == v.id);
    if (v.ts.empty()) {
      CHECK_FALSE(verdict.delivery->timestamp);
    } else {
      CHECK(verdict.delivery->timestamp == std::stoll(v.ts));
    }
  }
}

TEST_CASE("every row refuses tampering, missing headers and other secrets") {
  struct Row {
    std::string_view name;
    std::string secret, other_secret;
  };
  const Row row = GENERATE(Row{"thirdweb-unified", "whsecret_abc", "whsecret_abd"},
                           Row{"thirdweb-insight", "test123", "test124"},
                           Row{"alchemy", "whsec_alchemy_key", "whsec_alchemy_kez"},
                           Row{"quicknode", "qn_token", "qn_tokem"},
                           Row{"standard", kStandardSecret, "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4"},
                           Row{"moralis", "secret123", "secret124"});
  INFO(row.name);
  const WebhookScheme& s = scheme(row.name);
  const std::string body = R"({"a":1,"b":[2,3]})";
  const Request good = signed_request(s, row.secret, body);
  const std::string sig = good.headers.at(std::string(s.signature_header));
  REQUIRE(outcome(verify(s, row.secret, good)) == "accepted");

  // Every refusal's reason, to check none carries the secret or the signature.
  std::vector<std::string> reasons;
  auto refused = [&](const Request& r, std::int64_t now = kTs + 5) {
    const WebhookVerdict v = verify(s, row.secret, r, now);
    reasons.push_back(v.reason);
    return outcome(v);
  };

  SECTION("forged signature") {
    Request r = good;
    r.set(s.signature_header, forge(sig));
    CHECK(refused(r) == "bad_signature");
  }
  SECTION("body tampered: one byte, truncated, re-encoded") {
    for (std::string other : {std::string(R"({"a":2,"b":[2,3]})"), body.substr(0, body.size() - 1),
                              std::string(R"({"a": 1, "b": [2, 3]})"),
                              std::string(R"({"b":[2,3],"a":1})"), body + "\n", std::string()}) {
      INFO(other);
      Request r = good;
      r.body = other;
      CHECK(refused(r) == "bad_signature");
    }
  }
  SECTION("missing or empty signature header") {
    Request r = good;
    r.erase(s.signature_header);
    CHECK(refused(r) == "bad_signature");
    CHECK(reasons.back().find(s.signature_header) != std::string::npos);
    r.set(s.signature_header, "  ");
    CHECK(refused(r) == "bad_signature");
  }
  SECTION("missing timestamp or id header where the scheme requires it") {
    for (std::string_view h : {s.timestamp_header, s.id_header}) {
      if (h.empty()) continue;
      Request r = good;
      r.erase(h);
      CHECK(refused(r) == "bad_signature");
      CHECK(reasons.back().find(h) != std::string::npos);
    }
  }
  SECTION("signature made with another secret") {
    const Request r = signed_request(s, row.other_secret, body);
    CHECK(refused(r) == "bad_signature");
  }
  SECTION("signature of another id or timestamp") {
    if (!s.id_header.empty()) {
      Request r = good;
      r.set(s.id_header, "nonce2");
      CHECK(refused(r) == "bad_signature");
    }
    if (!s.timestamp_header.empty()) {
      Request r = good;
      r.set(s.timestamp_header, std::to_string(kTs + 1));
      CHECK(refused(r) == "bad_signature");
    }
  }
  SECTION("timestamp age: boundary accepted, beyond it stale, both directions") {
    const std::int64_t tol = s.tolerance_s;
    if (s.timestamp_header.empty()) {
      // No timestamp: nothing ages (the body's own timestamp is the parser's business).
      CHECK(refused(good, kTs + 100000000) == "accepted");
    } else {
      CHECK(refused(good, kTs + tol) == "accepted");
      CHECK(refused(good, kTs - tol) == "accepted");
      CHECK(refused(good, kTs + tol + 1) == "stale");
      CHECK(refused(good, kTs - tol - 1) == "stale");
      // Staleness is judged after the signature: a forged stale delivery is bad_signature.
      Request r = good;
      r.set(s.signature_header, forge(sig));
      CHECK(refused(r, kTs + tol + 1) == "bad_signature");
    }
  }
  SECTION("timestamp that is not integer seconds, even when signed") {
    if (!s.timestamp_header.empty()) {
      for (std::string ts : {"1700000000.5", "-1700000000", "+1700000000", "1.7e9", "0x6553f100",
                             "1700000000000", "abc", "17000 00000"}) {
        INFO(ts);
        const Request r = signed_request(s, row.secret, body, ts);
        CHECK(refused(r) == "bad_signature");
      }
    }
  }
  SECTION("signature not well-formed") {
    for (std::string bad : {sig.substr(0, sig.size() - 2), sig + "00", std::string("zz") + sig,
                            std::string("v2,") + sig}) {
      Request r = good;
      r.set(s.signature_header, bad);
      CHECK(refused(r) == "bad_signature");
    }
  }
  SECTION("a raw body over max_body_bytes is too large") {
    const WebhookVerdict v = verify(s, row.secret, good, kTs + 5, body.size() - 1);
    CHECK(outcome(v) == "too_large");
    CHECK(outcome(verify(s, row.secret, good, kTs + 5, body.size())) == "accepted");
  }
  std::string bare_sig = sig.substr(sig.find_first_of(",x") + 1);
  for (const std::string& reason : reasons) {
    CHECK(reason.find(row.secret) == std::string::npos);
    CHECK(reason.find(bare_sig) == std::string::npos);
    CHECK(!reason.empty());
  }
}

TEST_CASE("hex signatures accept either case and an optional 0x") {
  const WebhookScheme& s = scheme("alchemy");
  Request r = signed_request(s, "test123", kVectorBody);
  const std::string sig = r.headers.at("x-alchemy-signature");
  std::string upper = sig;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (std::string v : {upper, "0x" + sig, "0X" + upper, " " + sig + "\t"}) {
    INFO(v);
    r.set("x-alchemy-signature", v);
    CHECK(outcome(verify(s, "test123", r)) == "accepted");
  }
  const WebhookScheme& m = scheme("moralis");
  Request mr = signed_request(m, "secret123", kVectorBody);
  mr.set("x-signature", mr.headers.at("x-signature").substr(2));  // without its 0x
  CHECK(outcome(verify(m, "secret123", mr)) == "accepted");
  // Header names match in any case.
  Request mixed;
  mixed.body = kVectorBody;
  mixed.headers["X-Alchemy-Signature"] = sig;
  auto lookup = [&](std::string_view name) -> std::optional<std::string> {
    for (const auto& [k, v] : mixed.headers)
      if (lower(k) == lower(name)) return v;
    return std::nullopt;
  };
  CHECK(verify_webhook_delivery(s, "test123", lookup, kVectorBody, 0, kMaxBody).delivery);
}

TEST_CASE("Standard Webhooks signature lists and secrets") {
  const WebhookScheme& s = scheme("standard");
  const std::string id = "msg_p5jXN8AQM9LWM0D4loKWxJek", ts = "1614265330";
  const std::string body = R"({"test": 2432232314})";
  const std::string right = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
  const std::string wrong = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
  const std::int64_t now = 1614265330;
  auto check = [&](const std::string& header, const std::string& secret = kStandardSecret) {
    Request r;
    r.body = body;
    r.set("webhook-id", id);
    r.set("webhook-timestamp", ts);
    r.set("webhook-signature", header);
    return outcome(verify(s, secret, r, now));
  };
  CHECK(check(right) == "accepted");
  CHECK(check(wrong + " " + right) == "accepted");
  CHECK(check(right + " " + wrong) == "accepted");
  CHECK(check("v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= " + right) == "accepted");
  CHECK(check("v1,!!notbase64!! " + right) == "accepted");
  CHECK(check("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE " + wrong) ==
        "accepted");  // unpadded
  CHECK(check(wrong) == "bad_signature");
  CHECK(check("v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") == "bad_signature");
  CHECK(check("v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") == "bad_signature");
  CHECK(check("g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") == "bad_signature");
  CHECK(check("v1,!!notbase64!!") == "bad_signature");
  CHECK(check("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=AAAA") == "bad_signature");
  CHECK(check("v1,g0hM9SsE+OTPJTGt") == "bad_signature");  // a prefix of the right bytes
  // The secret works with and without its whsec_ prefix; another key does not.
  CHECK(check(right, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == "accepted");
  CHECK(check(right, "whsec_YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4") == "bad_signature");
  CHECK(sign_webhook_delivery(s, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id, ts, body) == right);
  // A secret that does not decode verifies nothing (config load refuses it first).
  CHECK(check(right, "whsec_!!!") == "bad_signature");
}

TEST_CASE("QuickNode gzip bodies are verified over the inflated bytes") {
  const WebhookScheme& s = scheme("quicknode");
  const std::string json = R"({"metadata":{"dataset":"logs"},"data":[]})";
  Request r = signed_request(s, "qn_token", json);
  r.body = gzip(json);
  REQUIRE(r.body != json);

  SECTION("accepted; the delivery's body is the inflated JSON") {
    for (std::string ce : {"gzip", "GZIP", " gzip "}) {
      r.set("content-encoding", ce);
      const WebhookVerdict v = verify(s, "qn_token", r);
      REQUIRE(outcome(v) == "accepted");
      CHECK(v.delivery->body == json);
      CHECK(v.delivery->header_id == "nonce1");
    }
  }
  SECTION("a signature over the compressed bytes refuses") {
    Request c = signed_request(s, "qn_token", gzip(json));
    c.set("content-encoding", "gzip");
    CHECK(outcome(verify(s, "qn_token", c)) == "bad_signature");
  }
  SECTION("corrupt, truncated or non-gzip bytes are malformed") {
    r.set("content-encoding", "gzip");
    Request bad = r;
    bad.body[bad.body.size() / 2] ^= 0x55;
    CHECK(outcome(verify(s, "qn_token", bad)) == "malformed");
    bad.body = r.body.substr(0, r.body.size() - 4);
    CHECK(outcome(verify(s, "qn_token", bad)) == "malformed");
    bad.body = json;
    CHECK(outcome(verify(s, "qn_token", bad)) == "malformed");
    bad.body = "";
    CHECK(outcome(verify(s, "qn_token", bad)) == "malformed");
    bad.body = r.body + "trailing";
    CHECK(outcome(verify(s, "qn_token", bad)) == "malformed");
  }
  SECTION("a small gzip that inflates past max_body_bytes is too large") {
    const std::string huge(8 << 20, ' ');
    Request bomb = signed_request(s, "qn_token", huge);
    bomb.body = gzip(huge);
    bomb.set("content-encoding", "gzip");
    REQUIRE(bomb.body.size() < 64 * 1024);
    const WebhookVerdict v = verify(s, "qn_token", bomb, kTs, 64 * 1024);
    CHECK(outcome(v) == "too_large");
    // The cap is on the inflated size, exactly: it passes, one byte less does not.
    std::string logs = R"({"data":[)";
    for (int i = 0; i < 200; ++i) logs += R"({"removed":false,"logIndex":"0x0"},)";
    logs += "{}]}";
    Request z = signed_request(s, "qn_token", logs);
    z.body = gzip(logs);
    z.set("content-encoding", "gzip");
    REQUIRE(z.body.size() < logs.size() / 10);
    CHECK(outcome(verify(s, "qn_token", z, kTs, logs.size())) == "accepted");
    CHECK(outcome(verify(s, "qn_token", z, kTs, logs.size() - 1)) == "too_large");
  }
  SECTION("identity and an absent Content-Encoding mean the raw body") {
    Request plain = signed_request(s, "qn_token", json);
    CHECK(outcome(verify(s, "qn_token", plain)) == "accepted");
    plain.set("content-encoding", "identity");
    CHECK(outcome(verify(s, "qn_token", plain)) == "accepted");
  }
  SECTION("other encodings are malformed") {
    for (std::string ce : {"br", "deflate", "gzip, br", "x-unknown"}) {
      r.set("content-encoding", ce);
      CHECK(outcome(verify(s, "qn_token", r)) == "malformed");
    }
  }
}

TEST_CASE("gzip where the scheme does not allow it is malformed") {
  for (std::string_view name : {"alchemy", "thirdweb-insight", "standard", "moralis"}) {
    INFO(name);
    const WebhookScheme& s = scheme(name);
    const std::string secret = name == "standard" ? kStandardSecret : "test123";
    Request r = signed_request(s, secret, kVectorBody);
    r.body = gzip(kVectorBody);
    r.set("content-encoding", "gzip");
    CHECK(outcome(verify(s, secret, r)) == "malformed");
    Request br = signed_request(s, secret, kVectorBody);
    br.set("Content-Encoding", "br");
    CHECK(outcome(verify(s, secret, br)) == "malformed");
  }
}

TEST_CASE("validate_webhook_secret") {
  for (const WebhookScheme& s : webhook_schemes()) {
    INFO(s.name);
    const Status empty = validate_webhook_secret(s, "");
    CHECK(empty.code() == ErrorCode::kInvalidArgument);
    CHECK(empty.message().find("empty") != std::string::npos);
  }
  CHECK(validate_webhook_secret(scheme("alchemy"), "any bytes at all").ok());
  CHECK(validate_webhook_secret(scheme("moralis"), "secret123").ok());
  const WebhookScheme& s = scheme("standard");
  CHECK(validate_webhook_secret(s, kStandardSecret).ok());
  CHECK(validate_webhook_secret(s, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").ok());
  CHECK(validate_webhook_secret(s,
                                "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygp"
                                "KissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==")
            .ok());  // 64 bytes
  struct Bad {
    std::string secret, says;
  };
  for (const Bad& b : {Bad{"whsec_", "24 to 64"}, Bad{"whsec_AAECAwQFBgcICQoLDA0ODw==", "16 bytes"},
                       Bad{"whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRY=", "23 bytes"},
                       Bad{"whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKiss"
                           "LS4vMDEyMzQ1Njc4OTo7PD0+P0A=",
                           "65 bytes"},
                       Bad{"whsec_not*base64*at*all!", "not base64"},
                       Bad{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La=aSw", "not base64"}}) {
    INFO(b.secret);
    const Status st = validate_webhook_secret(s, b.secret);
    CHECK(st.code() == ErrorCode::kInvalidArgument);
    CHECK(st.message().find(b.says) != std::string::npos);
    if (b.secret.size() > 6) CHECK(st.message().find(b.secret.substr(6)) == std::string::npos);
  }
}

TEST_CASE("refusal labels") {
  CHECK(webhook_refusal_label(WebhookRefusal::kBadSignature) == "bad_signature");
  CHECK(webhook_refusal_label(WebhookRefusal::kStale) == "stale");
  CHECK(webhook_refusal_label(WebhookRefusal::kMalformed) == "malformed");
  CHECK(webhook_refusal_label(WebhookRefusal::kTooLarge) == "too_large");
}
