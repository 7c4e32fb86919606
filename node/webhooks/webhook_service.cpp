#include "node/webhooks/webhook_service.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "node/webhooks/webhook_scheme.hpp"
#include "node/webhooks/webhook_verifier.hpp"
#include "rpc/keccak.hpp"
#include "rpc/logging.hpp"

namespace claimsync::node {
namespace {

// A replayed delivery is refused for this long after it was first accepted. Timestamped
// schemes refuse older deliveries as stale anyway (tolerance <= 600 s); for the schemes
// without a timestamp (Alchemy, thirdweb Insight, Moralis) a later replay is only a hint
// again: the intake dedupes it and the chain decides.
constexpr std::int64_t kReplayWindowMs = 600'000;

// The key the replay cache remembers: the scheme's delivery id or nonce header, else the
// body's own delivery id, else the body's hash (a byte-identical re-delivery). A delivery
// that marks entries removed is another delivery than the one that announced them, even
// under the same ids (thirdweb Insight re-delivers a reorged event, same id, "reverted").
std::string delivery_key(const VerifiedDelivery& d, const WebhookPayload& p) {
  const bool removes =
      std::any_of(p.hints.begin(), p.hints.end(), [](const WebhookHint& h) { return h.removed; });
  const std::string suffix = removes ? ":removed" : "";
  if (!d.header_id.empty()) return "h:" + d.header_id + suffix;
  if (!p.delivery_id.empty()) return "b:" + p.delivery_id + suffix;
  return "k:" + eth::keccak256(std::string_view(d.body)).hex();
}

std::string shown_id(const VerifiedDelivery* d, const WebhookPayload* p) {
  if (d != nullptr && !d->header_id.empty()) return d->header_id;
  if (p != nullptr && !p->delivery_id.empty()) return p->delivery_id.substr(0, 200);
  return "-";
}

std::string_view verdict_name(HintVerdict v) {
  switch (v) {
    case HintVerdict::kUse: return "use";
    case HintVerdict::kOtherChain: return "other_chain";
    case HintVerdict::kOtherContract: return "other_contract";
    case HintVerdict::kNotAMint: return "not_a_mint";
  }
  return "other";
}

}  // namespace

WebhookService::WebhookService(const WebhooksConfig& config, std::uint64_t chain_id,
                               eth::Address contract, HintSubmitter submit, Clock& clock,
                               WebhookHooks hooks)
    : max_body_bytes_(config.max_body_bytes),
      submit_(std::move(submit)),
      clock_(clock),
      hooks_(std::move(hooks)),
      replay_(config.replay_capacity, kReplayWindowMs) {
  for (const auto& [name, p] : config.providers) {
    if (p.secret.empty()) continue;
    Provider provider;
    provider.secret = p.secret;
    provider.filter.chain_id = chain_id;
    provider.filter.contract = contract;
    if (!p.network.empty()) provider.filter.networks.push_back(p.network);
    providers_.emplace(name, std::move(provider));
  }
}

bool WebhookService::enabled(std::string_view provider) const {
  return providers_.find(provider) != providers_.end();
}

ApiReply WebhookService::refuse(std::string_view provider, std::string_view result, int status,
                                const std::string& code, const std::string& message,
                                const std::string& delivery_id) {
  if (hooks_.on_request) hooks_.on_request(provider, result);
  std::string next;
  if (result == "bad_signature") {
    next =
        "if this is your provider, check that its signing secret is the one in the "
        "webhooks." +
        std::string(provider) + ".secret_env variable; otherwise ignore";
  } else if (result == "stale") {
    next = "check this host's clock (NTP); a replayed old delivery is refused on purpose";
  } else if (result == "duplicate") {
    next = "none: the delivery was accepted before; the provider may stop retrying";
  } else {
    next = "check the provider's payload format and filter (README: Webhooks)";
  }
  log_warn("webhook_refused", {{"provider", provider},
                               {"result", result},
                               {"delivery", delivery_id},
                               {"reason", message},
                               {"next", next}});
  return api_error(status, code, message);
}

ApiReply WebhookService::handle(const WebhookDeliveryRequest& request) {
  const std::string provider(request.provider);
  auto found = providers_.find(provider);
  if (found == providers_.end()) {
    // Unknown, or known but without a secret: the same answer, and nothing logged that
    // would tell a prober which providers exist.
    return api_error(404, "not_found", "no such endpoint");
  }
  const Provider& p = found->second;
  if (request.body.size() > max_body_bytes_) {
    return refuse(
        provider, "too_large", 413, "too_large",
        "the body is larger than webhooks.max_body_bytes (" + std::to_string(max_body_bytes_) + ")",
        "-");
  }
  const auto has_header = [&](std::string_view name) {
    return static_cast<bool>(request.header(name));
  };
  const std::optional<WebhookScheme> scheme = select_webhook_scheme(provider, has_header);
  if (!scheme) return api_error(404, "not_found", "no such endpoint");

  const std::int64_t now_ms = clock_.now_ms();
  WebhookVerdict verdict = verify_webhook_delivery(*scheme, p.secret, request.header, request.body,
                                                   now_ms / 1000, max_body_bytes_);
  if (!verdict.delivery) {
    switch (verdict.refusal) {
      case WebhookRefusal::kBadSignature:
        return refuse(provider, "bad_signature", 401, "bad_signature", verdict.reason, "-");
      case WebhookRefusal::kStale:
        return refuse(provider, "stale", 401, "stale", verdict.reason, "-");
      case WebhookRefusal::kTooLarge:
        return refuse(provider, "too_large", 413, "too_large", verdict.reason, "-");
      case WebhookRefusal::kMalformed:
        return refuse(provider, "malformed", 400, "malformed", verdict.reason, "-");
    }
  }
  const VerifiedDelivery& delivery = *verdict.delivery;

  Result<WebhookPayload> parsed = parse_webhook_payload(provider, delivery.body);
  if (!parsed.ok()) {
    return refuse(provider, "malformed", 400, "malformed",
                  "the signed body is not a " + std::string(scheme->name) +
                      " delivery: " + parsed.status().message(),
                  shown_id(&delivery, nullptr));
  }
  const WebhookPayload& payload = *parsed;
  const std::string id = shown_id(&delivery, &payload);
  if (!replay_.first_sighting(provider, delivery_key(delivery, payload), now_ms)) {
    return refuse(provider, "duplicate", 409, "duplicate",
                  "this delivery was already accepted; nothing to do", id);
  }

  if (payload.kind == WebhookPayload::Kind::kSetup) {
    if (hooks_.on_request) hooks_.on_request(provider, "ignored");
    log_info("webhook_setup", {{"provider", provider},
                               {"scheme", scheme->name},
                               {"delivery", id},
                               {"note", payload.setup_note},
                               {"next",
                                "finish the setup at the provider if it asks (e.g. thirdweb's "
                                "verification code above, within 15 minutes)"}});
    return {200, {{"status", "acknowledged"}, {"note", payload.setup_note}}};
  }

  // One submit per tx: a TransferBatch or a tx with several mints carries several entries.
  std::set<eth::Hash32> used, removed;
  std::size_t ignored = 0;
  std::map<std::string, std::size_t> why_ignored;
  for (const WebhookHint& h : payload.hints) {
    const HintVerdict v = filter_webhook_hint(p.filter, h);
    if (v != HintVerdict::kUse) {
      ++ignored;
      ++why_ignored[std::string(verdict_name(v))];
      continue;
    }
    used.insert(h.tx);
    if (h.removed) removed.insert(h.tx);
  }
  std::size_t deferred = 0;
  for (const eth::Hash32& tx : used) {
    const ApiReply r = submit_(tx, removed.count(tx) != 0);
    if (r.status == 429 || r.status == 503) ++deferred;
  }
  if (deferred > 0) {
    log_warn("webhook_hints_deferred",
             {{"provider", provider},
              {"delivery", id},
              {"deferred", static_cast<std::uint64_t>(deferred)},
              {"next",
               "none needed: the follower's scan finds these claims by itself; raise "
               "intake.queue_limit if this repeats"}});
  }
  nlohmann::json reasons = nlohmann::json::object();
  for (const auto& [k, n] : why_ignored) reasons[k] = n;
  const bool any = !used.empty();
  if (hooks_.on_request) hooks_.on_request(provider, any ? "accepted" : "ignored");
  log_debug("webhook_delivery", {{"provider", provider},
                                 {"scheme", scheme->name},
                                 {"delivery", id},
                                 {"txs", static_cast<std::uint64_t>(used.size())},
                                 {"rechecks", static_cast<std::uint64_t>(removed.size())},
                                 {"ignored", static_cast<std::uint64_t>(ignored)}});
  return {200,
          {{"status", any ? "accepted" : "ignored"},
           {"hints", used.size()},
           {"rechecks", removed.size()},
           {"ignored", ignored},
           {"ignored_because", reasons},
           {"deferred", deferred}}};
}

}  // namespace claimsync::node
