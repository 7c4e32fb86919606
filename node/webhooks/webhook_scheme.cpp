#include "node/webhooks/webhook_scheme.hpp"

#include <array>

namespace claimsync::node {
namespace {

// Reference webhooks-and-attestation.md §0. Rows of one provider: most specific first.
constexpr std::array<WebhookScheme, 6> kSchemes = {{
    {"thirdweb", "thirdweb-unified", "x-webhook-signature", "x-webhook-timestamp", "",
     SignedBytes::kTimestampDotBody, SignatureDigest::kHmacSha256, SignatureEncoding::kHex,
     SecretFormat::kRaw, 600, false},
    {"thirdweb", "thirdweb-insight", "x-webhook-signature", "", "", SignedBytes::kBody,
     SignatureDigest::kHmacSha256, SignatureEncoding::kHex, SecretFormat::kRaw, 0, false},
    {"alchemy", "alchemy", "x-alchemy-signature", "", "", SignedBytes::kBody,
     SignatureDigest::kHmacSha256, SignatureEncoding::kHex, SecretFormat::kRaw, 0, false},
    {"quicknode", "quicknode-streams", "x-qn-signature", "x-qn-timestamp", "x-qn-nonce",
     SignedBytes::kNonceTimestampBody, SignatureDigest::kHmacSha256, SignatureEncoding::kHex,
     SecretFormat::kRaw, 300, true},
    {"standard", "standard-webhooks", "webhook-signature", "webhook-timestamp", "webhook-id",
     SignedBytes::kIdDotTimestampDotBody, SignatureDigest::kHmacSha256,
     SignatureEncoding::kStandardV1Base64, SecretFormat::kStandardWhsec, 300, false},
    {"moralis", "moralis-streams", "x-signature", "", "", SignedBytes::kBodySecret,
     SignatureDigest::kKeccak256, SignatureEncoding::kHex, SecretFormat::kRaw, 0, false},
}};

constexpr std::array<std::string_view, 5> kProviders = {"thirdweb", "alchemy", "quicknode",
                                                        "standard", "moralis"};

}  // namespace

std::span<const WebhookScheme> webhook_schemes() { return kSchemes; }
std::span<const std::string_view> webhook_providers() { return kProviders; }

}  // namespace claimsync::node
