// WebhookService: POST /v1/webhooks/{provider}. A provider's delivery is verified,
// reduced to claim hints for the configured chain and contract, and handed to the intake
// (which re-reads each receipt on chain: a webhook is only a hint, DESIGN §2).
//
//   raw body ─ verify_webhook_delivery (the provider's row of the scheme table)
//            ─ parse_webhook_payload ─ replay cache (provider, delivery id)
//            ─ filter_webhook_hint per entry ─ HintSubmitter (IntakeService::submit_hint)
//
// Answers (JSON; the provider's delivery id is in every log line, never a secret):
//   404 not_found        unknown provider, or its secret variable is not set
//   401 bad_signature    missing/forged signature, or a stale timestamp ("stale")
//   400 malformed        a verified body that is not the provider's shape, or bad gzip
//   413 too_large        above webhooks.max_body_bytes (raw or inflated)
//   409 duplicate        a delivery id already accepted within the replay window
//   200 accepted         {"status":"accepted","hints":N,"ignored":M,"deferred":K}
//   200 ignored          a delivery with nothing for this chain/contract (acknowledged so
//                        the provider does not retry it)
//   200 acknowledged     a setup/test delivery (thirdweb's verification code, Moralis's
//                        empty test), logged so the operator can finish the setup
// A removed/reverted entry makes the intake verify its tx again now; nothing is deleted
// here. Every answer is given without waiting on the RPC (the intake's submit never does).
// When the intake is full a hint is "deferred": answered 200 all the same, logged, because
// the follower's own scan finds every claim anyway (the hint only makes it sooner).
//
// Thread-safe: handle() runs on the API's workers concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "node/api/api_reply.hpp"
#include "node/config.hpp"
#include "node/webhooks/replay_cache.hpp"
#include "node/webhooks/webhook_payloads.hpp"
#include "rpc/clock.hpp"

namespace claimsync::node {

// Hands one hint to the intake: IntakeService::submit_hint(tx, {}, kSourceWebhook, recheck).
// Its answer's status 429/503 means the hint was not taken (deferred).
using HintSubmitter = std::function<ApiReply(const eth::Hash32& tx, bool recheck)>;

struct WebhookHooks {
  // claimsync_webhook_requests_total{provider,result}: result is "accepted",
  // "bad_signature", "stale", "duplicate", "malformed", "ignored" (and "too_large").
  std::function<void(std::string_view provider, std::string_view result)> on_request;
};

struct WebhookDeliveryRequest {
  std::string_view provider;  // the route's {provider}
  std::string_view body;      // raw bytes as received
  // The request's header value (name in any case), or nullopt.
  std::function<std::optional<std::string>(std::string_view)> header;
};

class WebhookService {
 public:
  // REQUIRES: `clock` outlives the service. `chain_id`/`contract` are the node's.
  WebhookService(const WebhooksConfig& config, std::uint64_t chain_id, eth::Address contract,
                 HintSubmitter submit, Clock& clock, WebhookHooks hooks = {});

  ApiReply handle(const WebhookDeliveryRequest& request);

  // True when POST /v1/webhooks/{provider} is served (known provider, secret set).
  bool enabled(std::string_view provider) const;

 private:
  struct Provider {
    std::string secret;
    HintFilter filter;
  };
  ApiReply refuse(std::string_view provider, std::string_view result, int status,
                  const std::string& code, const std::string& message,
                  const std::string& delivery_id);

  const std::size_t max_body_bytes_;
  std::map<std::string, Provider, std::less<>> providers_;  // only the enabled ones
  const HintSubmitter submit_;
  Clock& clock_;
  const WebhookHooks hooks_;
  ReplayCache replay_;
};

}  // namespace claimsync::node
