// The table of webhook signing schemes (reference webhooks-and-attestation.md §0-3). Header
// names are lower case; the request's header lookup matches them in any case.
#include "node/webhooks/webhook_scheme.hpp"

#include <array>

namespace claimsync::node {

namespace {

constexpr std::array<WebhookScheme, 6> kSchemes{{
    // thirdweb unified Webhooks: "{ts}.{body}". The doc sample's MAX_AGE of 10 min is
    // written in ms by mistake; 600 s is what it means.
    {"thirdweb", "thirdweb-unified", "x-webhook-signature", "x-webhook-timestamp", "",
     SignedBytes::kTimestampDotBody, SignatureDigest::kHmacSha256, SignatureEncoding::kHex,
     SecretFormat::kRaw, 600, false},
    // thirdweb Insight: raw body. x-webhook-id names the webhook configuration, not the
    // delivery, so it is no replay key (the body's entry ids are).
    {"thirdweb", "thirdweb-insight", "x-webhook-signature", "", "", SignedBytes::kBody,
     SignatureDigest::kHmacSha256, SignatureEncoding::kHex, SecretFormat::kRaw, 0, false},
    {"alchemy", "alchemy", "x-alchemy-signature", "", "", SignedBytes::kBody,
     SignatureDigest::kHmacSha256, SignatureEncoding::kHex, SecretFormat::kRaw, 0, false},
    // QuickNode Streams sign the uncompressed JSON when gzip is on.
    {"quicknode", "quicknode", "x-qn-signature", "x-qn-timestamp", "x-qn-nonce",
     SignedBytes::kNonceTimestampBody, SignatureDigest::kHmacSha256, SignatureEncoding::kHex,
     SecretFormat::kRaw, 300, true},
    {"standard", "standard", "webhook-signature", "webhook-timestamp", "webhook-id",
     SignedBytes::kIdDotTimestampDotBody, SignatureDigest::kHmacSha256,
     SignatureEncoding::kStandardV1Base64, SecretFormat::kStandardWhsec, 300, false},
    // Moralis: keccak256(body + secret), "0x" hex; no timestamp.
    {"moralis", "moralis", "x-signature", "", "", SignedBytes::kBodySecret,
     SignatureDigest::kKeccak256, SignatureEncoding::kHex, SecretFormat::kRaw, 0, false},
}};

constexpr std::array<std::string_view, 5> kProviders{"thirdweb", "alchemy", "quicknode", "standard",
                                                     "moralis"};

}  // namespace

std::span<const WebhookScheme> webhook_schemes() { return kSchemes; }

std::span<const std::string_view> webhook_providers() { return kProviders; }

}  // namespace claimsync::node
