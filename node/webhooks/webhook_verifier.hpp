// verify_webhook_delivery: checks a provider's signature over the raw request bytes,
// before anything parses them (reference webhooks-and-attestation.md §0-3).
//
// Contract:
//   * Pure apart from the inputs: no I/O, no clock (the caller passes now_s), no logging.
//   * The comparison of signatures is constant-time (CRYPTO_memcmp) over equal lengths.
//   * A missing signature, timestamp or id header the scheme requires, a signature that is
//     not well-formed in the scheme's encoding, or one that does not match: kBadSignature.
//   * A timestamp that is not an integer number of seconds: kBadSignature; one further
//     than tolerance_s from now_s, past or future: kStale (checked after the signature, so
//     a forger learns nothing about timing).
//   * Content-Encoding gzip on a scheme that allows it: the body is inflated (at most
//     max_body_bytes out, else kTooLarge; a corrupt stream is kMalformed) and the
//     signature is checked over the inflated bytes. Any other Content-Encoding, or gzip
//     where the scheme does not allow it: kMalformed. A raw body longer than
//     max_body_bytes is kTooLarge whatever its encoding.
//   * Never throws (allocation failure aside).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "node/webhooks/webhook_scheme.hpp"
#include "rpc/status.hpp"

namespace claimsync::node {

enum class WebhookRefusal {
  kBadSignature,  // 401
  kStale,         // 401
  kMalformed,     // 400 (an encoding the node cannot read)
  kTooLarge,      // 413
};

// The result label of claimsync_webhook_requests_total for a refusal.
std::string_view webhook_refusal_label(WebhookRefusal r);  // "bad_signature", "stale", ...

struct VerifiedDelivery {
  std::string body;                       // the verified bytes (inflated when gzip)
  std::string header_id;                  // id_header's value ("" when the scheme has none)
  std::optional<std::int64_t> timestamp;  // timestamp_header's value, unix seconds
};

struct WebhookVerdict {
  std::optional<VerifiedDelivery> delivery;                // set when verified
  WebhookRefusal refusal = WebhookRefusal::kBadSignature;  // when not
  std::string reason;  // for the log line, never containing the secret or the signature
};

// `header(name)` returns the request's header value (name matched in any case) or
// nullopt. `secret` is the configured secret as written (for kStandardWhsec with or
// without its "whsec_" prefix); REQUIRES: non-empty.
WebhookVerdict verify_webhook_delivery(
    const WebhookScheme& scheme, std::string_view secret,
    const std::function<std::optional<std::string>(std::string_view)>& header,
    std::string_view raw_body, std::int64_t now_s, std::size_t max_body_bytes);

// The signature a sender of `scheme` puts in its signature header for these inputs
// (tests and the benchmark sign with it; "v1,<base64>" for Standard Webhooks, lower-case
// hex, "0x"-prefixed for keccak). `id` and `timestamp` are used where the scheme signs them.
// "" when the secret is unusable (empty, or a whsec secret that is not base64).
std::string sign_webhook_delivery(const WebhookScheme& scheme, std::string_view secret,
                                  std::string_view id, std::string_view timestamp,
                                  std::string_view body);

// Checks a configured secret for `scheme` at config load: kInvalidArgument when it is
// empty, or (kStandardWhsec) when what follows the optional "whsec_" prefix is not base64
// of 24 to 64 bytes. The message says what is wrong and never contains the secret.
Status validate_webhook_secret(const WebhookScheme& scheme, std::string_view secret);

}  // namespace claimsync::node
