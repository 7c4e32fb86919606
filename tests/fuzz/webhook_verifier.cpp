// Fuzz target: the webhook signature verifier of every scheme (node/webhooks/
// webhook_verifier). Input: byte 0 selects the scheme, byte 1 bit 0 claims
// Content-Encoding: gzip; then "signature\ntimestamp\nid\n" and the raw body.
// Contract (webhook_verifier.hpp): a verified delivery or a refusal with a reason that
// never contains the secret; a raw body above max_body_bytes is kTooLarge; an accepted
// timestamp is within tolerance; and sign_webhook_delivery's signature over the same body
// verifies, giving back the body (the round trip of signer and verifier).
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "node/webhooks/webhook_scheme.hpp"
#include "node/webhooks/webhook_verifier.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace claimsync;
using namespace claimsync::node;

namespace {

constexpr std::int64_t kNow = 1'750'000'000;
constexpr std::size_t kMaxBody = 4096;

std::string_view next_line(std::string_view& in) {
  const std::size_t nl = in.find('\n');
  const std::string_view line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  return line;
}

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

WebhookVerdict verify(const WebhookScheme& scheme, std::string_view secret,
                      std::string_view signature, std::string_view timestamp, std::string_view id,
                      bool gzip, std::string_view body) {
  auto header = [&](std::string_view name) -> std::optional<std::string> {
    if (same_name(name, scheme.signature_header)) return std::string(signature);
    if (!scheme.timestamp_header.empty() && same_name(name, scheme.timestamp_header))
      return std::string(timestamp);
    if (!scheme.id_header.empty() && same_name(name, scheme.id_header)) return std::string(id);
    if (gzip && same_name(name, "content-encoding")) return std::string("gzip");
    return std::nullopt;
  };
  return verify_webhook_delivery(scheme, secret, header, body, kNow, kMaxBody);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const auto schemes = webhook_schemes();
  const WebhookScheme& scheme = schemes[data[0] % schemes.size()];
  const bool gzip = data[1] & 1;
  std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  const std::string_view signature = next_line(in);
  const std::string_view timestamp = next_line(in);
  const std::string_view id = next_line(in);
  const std::string_view body = in;
  const std::string secret = scheme.secret_format == SecretFormat::kStandardWhsec
                                 ? "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
                                 : "fuzz-secret-7c1d";
  FUZZ_CHECK(validate_webhook_secret(scheme, secret).ok(), "the fuzz secret is valid");

  const WebhookVerdict v = verify(scheme, secret, signature, timestamp, id, gzip, body);
  if (v.delivery) {
    FUZZ_CHECK(body.size() <= kMaxBody, "an oversized body is never accepted");
    FUZZ_CHECK(v.delivery->body.size() <= kMaxBody, "an inflated body is within the limit");
    if (!scheme.timestamp_header.empty()) {
      FUZZ_CHECK(v.delivery->timestamp.has_value(), "an accepted delivery has its timestamp");
      const std::int64_t skew = *v.delivery->timestamp - kNow;
      FUZZ_CHECK(skew <= scheme.tolerance_s && -skew <= scheme.tolerance_s,
                 "an accepted timestamp is within tolerance");
    }
  } else {
    FUZZ_CHECK(!v.reason.empty(), "a refusal says why");
    FUZZ_CHECK(v.reason.find(secret) == std::string::npos, "the reason hides the secret");
    if (body.size() > kMaxBody) FUZZ_CHECK(v.refusal == WebhookRefusal::kTooLarge, "413");
  }

  // Round trip: what the signer produces for this body, the verifier accepts.
  // The id as HTTP can carry it: without the optional whitespace around a header value
  // (which the verifier drops, as HTTP says), and not empty (an empty id header counts
  // as missing where the scheme requires one).
  std::string_view good_id = id;
  while (!good_id.empty() && (good_id.front() == ' ' || good_id.front() == '\t'))
    good_id.remove_prefix(1);
  while (!good_id.empty() && (good_id.back() == ' ' || good_id.back() == '\t'))
    good_id.remove_suffix(1);
  if (good_id.empty()) good_id = "msg_fuzz";
  const std::string ts = std::to_string(kNow);
  const std::string good = sign_webhook_delivery(scheme, secret, good_id, ts, body);
  FUZZ_CHECK(!good.empty(), "the signer signs with a valid secret");
  const WebhookVerdict ok = verify(scheme, secret, good, ts, good_id, false, body);
  if (body.size() <= kMaxBody) {
    if (!ok.delivery) std::fprintf(stderr, "refused: %s\n", ok.reason.c_str());
    FUZZ_CHECK(ok.delivery.has_value(), "a correctly signed delivery verifies");
    FUZZ_CHECK(ok.delivery->body == body, "the verified body is the raw body");
  } else {
    FUZZ_CHECK(!ok.delivery && ok.refusal == WebhookRefusal::kTooLarge, "413 even if signed");
  }
  return 0;
}
