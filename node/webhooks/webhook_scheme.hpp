// WebhookScheme: how one provider signs its deliveries, as data (reference
// webhooks-and-attestation.md §0). Every provider is a row of one table; the verifier
// (webhook_verifier.hpp) is the only code that reads a row, so adding a provider that
// signs like an existing one is a new row, not a new handler.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace claimsync::node {

// Which bytes the signature covers. "body" is always the raw request bytes as received
// (after gzip decoding where the scheme allows gzip), never a re-serialisation.
enum class SignedBytes {
  kBody,                   // thirdweb Insight, Alchemy
  kTimestampDotBody,       // "{ts}.{body}": thirdweb unified, Engine
  kIdDotTimestampDotBody,  // "{id}.{ts}.{body}": Standard Webhooks
  kNonceTimestampBody,     // nonce + ts + body (no separators): QuickNode Streams
  kBodySecret,             // body + secret, hashed (not keyed): Moralis
};

enum class SignatureDigest {
  kHmacSha256,  // HMAC-SHA256 keyed with the secret
  kKeccak256,   // keccak256 of the signed bytes (the secret is part of them)
};

enum class SignatureEncoding {
  kHex,               // lower- or upper-case hex, optional "0x" (Moralis sends "0x")
  kStandardV1Base64,  // space-separated "v1,<base64>" list; any v1 entry may match
};

enum class SecretFormat {
  kRaw,            // the secret's bytes are the key
  kStandardWhsec,  // "whsec_" + base64 (prefix optional): the key is the decoded bytes
};

struct WebhookScheme {
  std::string_view provider;          // the {provider} of the route: "thirdweb", ...
  std::string_view name;              // the row's own name, for logs: "thirdweb-unified"
  std::string_view signature_header;  // required
  std::string_view timestamp_header;  // "" when the scheme has no timestamp
  std::string_view id_header;         // delivery id or nonce header, "" when none
  SignedBytes signed_bytes;
  SignatureDigest digest;
  SignatureEncoding encoding;
  SecretFormat secret_format;
  std::int64_t tolerance_s;  // |now - timestamp| allowed; 0 when there is no timestamp
  bool gzip_allowed;         // Content-Encoding: gzip bodies are decoded before verifying
};

// The table: every scheme claimsync verifies.
std::span<const WebhookScheme> webhook_schemes();

// The providers a route accepts ("thirdweb", "alchemy", "quicknode", "standard",
// "moralis"), in the table's order, each once.
std::span<const std::string_view> webhook_providers();

// The scheme of a delivery to POST /v1/webhooks/{provider}: for thirdweb the unified
// scheme when `has_timestamp_header("x-webhook-timestamp")`, else Insight's raw-body
// scheme; for the others their single row. nullopt for an unknown provider.
// `has_header(name)` answers whether the request carries that header (any case).
template <typename HasHeader>
std::optional<WebhookScheme> select_webhook_scheme(std::string_view provider,
                                                   HasHeader&& has_header) {
  std::optional<WebhookScheme> found;
  for (const WebhookScheme& s : webhook_schemes()) {
    if (s.provider != provider) continue;
    // Rows of one provider are ordered most specific first: a row whose timestamp header
    // is present wins; the last row of the provider is its fallback.
    if (!s.timestamp_header.empty() && has_header(s.timestamp_header)) return s;
    found = s;
  }
  return found;
}

}  // namespace claimsync::node
