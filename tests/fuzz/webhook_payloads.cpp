// Fuzz target: each webhook provider's payload parser (node/webhooks/webhook_payloads).
// Input: byte 0 selects the provider, the rest is the (verified) body.
// Contract (webhook_payloads.hpp): never throws; a payload or kInvalidArgument with a
// message; bounded by the body (no more hints than body bytes); kSetup carries a note;
// filter_webhook_hint gives a verdict for every hint.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "node/webhooks/webhook_payloads.hpp"
#include "node/webhooks/webhook_scheme.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace claimsync;
using namespace claimsync::node;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto providers = webhook_providers();
  const std::string_view provider = providers[data[0] % providers.size()];
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto payload = parse_webhook_payload(provider, body);
  if (!payload.ok()) {
    FUZZ_CHECK(payload.status().code() == ErrorCode::kInvalidArgument,
               "payload errors are kInvalidArgument");
    FUZZ_CHECK(!payload.status().message().empty(), "payload errors name the field");
    return 0;
  }
  FUZZ_CHECK(payload->hints.size() <= body.size(), "no more hints than body bytes");
  if (payload->kind == WebhookPayload::Kind::kSetup)
    FUZZ_CHECK(!payload->setup_note.empty(), "a setup delivery says what it was");
  HintFilter filter;
  filter.chain_id = 42161;
  for (const WebhookHint& hint : payload->hints) {
    const HintVerdict v = filter_webhook_hint(filter, hint);
    FUZZ_CHECK(v == HintVerdict::kUse || v == HintVerdict::kOtherChain ||
                   v == HintVerdict::kOtherContract || v == HintVerdict::kNotAMint,
               "a verdict for every hint");
  }
  return 0;
}
