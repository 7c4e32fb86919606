#include "node/intake/intake_service.hpp"

#include <algorithm>

#include "rpc/erc1155.hpp"
#include "rpc/logging.hpp"

namespace claimsync::node {
namespace {

using nlohmann::json;

bool is_transfer_topic(const eth::Hash32& t) {
  return t == eth::transfer_single_topic() || t == eth::transfer_batch_topic();
}

json claim_json(const store::Claim& c, const std::optional<store::Claim>& stored) {
  json j = {{"log_index", c.key.log_index},
            {"batch_index", c.key.batch_index},
            {"wallet", c.wallet.lower_hex()},
            {"level", c.level},
            {"amount", c.amount.to_decimal()}};
  if (stored) {
    j["state"] = store::claim_state_name(stored->state);
    j["sources"] = store::claim_sources_string(stored->sources);
    j["referrer"] = stored->referrer ? json(stored->referrer->lower_hex()) : json(nullptr);
  } else {
    j["state"] = nullptr;  // not in the outbox (yet)
  }
  return j;
}

bool same_attestation(const ReferralAttestation& a, const ReferralAttestation& b) {
  return a.minter == b.minter && a.nonce == b.nonce && a.signature == b.signature &&
         a.referrer == b.referrer && a.mint_tx == b.mint_tx && a.issued_at == b.issued_at &&
         a.expires_at == b.expires_at;
}

}  // namespace

IntakeService::IntakeService(eth::ChainSource& chain, store::NodeStore& store, Clock& clock,
                             const StopFlag& stop, IntakeOptions options, AttestationChecks checks,
                             IntakeHooks hooks)
    : chain_(chain),
      store_(store),
      clock_(clock),
      stop_(stop),
      options_(std::move(options)),
      rules_{options_.chain_id, {options_.levels.begin(), options_.levels.end()}, options_.source},
      checks_(std::move(checks)),
      hooks_(std::move(hooks)),
      wake_(stop) {}

IntakeService::~IntakeService() { stop(); }

void IntakeService::start() {
  std::lock_guard lock(mu_);
  if (!workers_.empty() || stopping_) return;
  const std::size_t n = std::max<std::size_t>(1, options_.workers);
  for (std::size_t i = 0; i < n; ++i) workers_.emplace_back([this] { worker_loop(); });
}

void IntakeService::stop() {
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    workers.swap(workers_);
  }
  wake_.notify();
  for (auto& t : workers) t.join();
}

IntakeService::Stats IntakeService::stats() const {
  std::lock_guard lock(mu_);
  return {entries_.size(), open_locked()};
}

std::optional<IntakeService::Verdict> IntakeService::verdict(const eth::Hash32& tx) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(tx.hex());
  if (it == entries_.end() || it->second.phase != Phase::kFinished) return std::nullopt;
  const Entry& e = it->second;
  return Verdict{e.status, e.reason, e.outcome, e.block, e.claims};
}

std::size_t IntakeService::open_locked() const {
  std::size_t n = 0;
  for (const auto& [k, e] : entries_) n += e.phase != Phase::kFinished;
  return n;
}

bool IntakeService::make_room_locked() {
  while (entries_.size() >= options_.max_tracked && !finished_order_.empty()) {
    auto it = entries_.find(finished_order_.front());
    finished_order_.pop_front();
    if (it != entries_.end() && it->second.phase == Phase::kFinished) entries_.erase(it);
  }
  return entries_.size() < options_.max_tracked;
}

// ---- submit ------------------------------------------------------------------------------

ApiReply IntakeService::submit(const json& body) {
  if (!body.is_object()) {
    return api_error(400, "invalid_body", "the body must be a JSON object with \"tx_hash\"");
  }
  auto tx_field = body.find("tx_hash");
  if (tx_field == body.end() || !tx_field->is_string()) {
    return api_error(400, "invalid_tx_hash", "\"tx_hash\" is required: a 0x-prefixed 32-byte hex");
  }
  auto tx = eth::Hash32::parse(tx_field->get<std::string>());
  if (!tx.ok()) {
    return api_error(400, "invalid_tx_hash", "\"tx_hash\": " + tx.status().message());
  }
  std::optional<ReferralAttestation> attestation;
  if (auto a = body.find("attestation"); a != body.end() && !a->is_null()) {
    if (!checks_.parse) {
      return api_error(400, "invalid_attestation", "attestations are not accepted here");
    }
    auto parsed = checks_.parse(*a);
    if (!parsed.ok()) {
      return api_error(400, "invalid_attestation", "\"attestation\": " + parsed.status().message());
    }
    attestation = std::move(*parsed);
  }
  return submit_hint(*tx, std::move(attestation), options_.source);
}

ApiReply IntakeService::submit_hint(const eth::Hash32& tx,
                                    std::optional<ReferralAttestation> attestation,
                                    std::uint32_t source, bool recheck) {
  const std::int64_t now = clock_.now_ms();
  std::lock_guard lock(mu_);
  const std::string id = tx.hex();
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    if (stopping_) return api_error(503, "stopping", "the node is stopping; send the hint again");
    if (open_locked() >= options_.queue_limit) {
      return api_error(429, "busy",
                       "too many hints are being verified; retry in a few seconds (the node "
                       "also finds every claim by itself)");
    }
    if (!make_room_locked()) {
      return api_error(429, "busy", "too many transactions tracked; retry in a few seconds");
    }
    Entry e;
    e.tx = tx;
    e.sources = source;
    e.first_source = source;
    e.first_seen_ms = now;
    e.next_check_ms = now;
    if (attestation) e.attestations.push_back(std::move(*attestation));
    it = entries_.emplace(id, std::move(e)).first;
    ready_.push_back(tx);
    // Safe under mu_: workers never hold mu_ while they take a token or sleep.
    wake_.notify();
    return {202, answer_locked(it->second)};
  }

  // A duplicate hint: cheap. Only a new attestation, or a tx whose watch ended without
  // an answer at least watch_ms ago (it may be mined by now), makes work.
  Entry& e = it->second;
  e.sources |= source;
  const bool unanswered = e.status == "not_found" || e.status == "unknown";
  const std::int64_t retry_after_ms = recheck ? options_.recheck_ms : options_.watch_ms;
  if (e.phase == Phase::kFinished && (unanswered || recheck) &&
      now - e.finished_at_ms >= retry_after_ms && open_locked() < options_.queue_limit) {
    e.phase = Phase::kQueued;
    e.status = "verifying";
    e.reason.clear();
    e.last_error.clear();
    e.failures = 0;
    e.first_seen_ms = now;
    ready_.push_back(tx);
    wake_.notify();
  }
  if (attestation) {
    const bool known =
        std::any_of(e.attestations.begin(), e.attestations.end(),
                    [&](const auto& a) { return same_attestation(a, *attestation); });
    if (!known && e.attestations.size() < kMaxAttestationsPerTx && !e.claims.empty() &&
        e.phase == Phase::kFinished && e.status == "claimed") {
      e.attestations.push_back(std::move(*attestation));
      e.phase = Phase::kQueued;
      ready_.push_back(tx);
      wake_.notify();
    } else if (!known && e.attestations.size() < kMaxAttestationsPerTx &&
               e.phase != Phase::kFinished) {
      e.attestations.push_back(std::move(*attestation));
    }
  }
  return {it->second.phase == Phase::kFinished ? 200 : 202, answer_locked(it->second)};
}

json IntakeService::answer_locked(const Entry& e) const {
  json j = {{"tx_hash", e.tx.hex()}, {"status", e.status}};
  if (!e.reason.empty()) j["reason"] = e.reason;
  if (!e.last_error.empty() && e.phase != Phase::kFinished) j["last_error"] = e.last_error;
  if (e.block) j["block"] = {{"number", e.block->number}, {"hash", e.block->hash.hex()}};
  if (!e.claims.empty()) {
    json claims = json::array();
    for (const store::Claim& c : e.claims) claims.push_back(claim_json(c, store_.get(c.key)));
    j["claims"] = std::move(claims);
  }
  if (!e.attestation_results.empty()) j["attestations"] = e.attestation_results;
  return j;
}

// ---- workers -----------------------------------------------------------------------------

void IntakeService::worker_loop() {
  for (;;) {
    const std::uint64_t token = wake_.token();
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    std::int64_t sleep_ms = 1'000;
    std::optional<eth::Hash32> tx = take_work(clock_.now_ms(), sleep_ms);
    if (!tx) {
      if (clock_.sleep_ms(std::max<std::int64_t>(1, sleep_ms), wake_, token)) return;
      continue;
    }
    verify(*tx);
  }
}

std::optional<eth::Hash32> IntakeService::take_work(std::int64_t now_ms, std::int64_t& sleep_ms) {
  std::lock_guard lock(mu_);
  while (!ready_.empty()) {
    eth::Hash32 tx = ready_.front();
    ready_.pop_front();
    auto it = entries_.find(tx.hex());
    if (it == entries_.end() || it->second.phase != Phase::kQueued) continue;
    it->second.phase = Phase::kVerifying;
    return tx;
  }
  while (!rechecks_.empty()) {
    auto first = rechecks_.begin();
    if (first->first > now_ms) {
      sleep_ms = std::min(sleep_ms, first->first - now_ms);
      return std::nullopt;
    }
    eth::Hash32 tx = first->second;
    const std::int64_t due = first->first;
    rechecks_.erase(first);
    auto it = entries_.find(tx.hex());
    if (it == entries_.end() || it->second.next_check_ms != due) continue;
    if (it->second.phase != Phase::kWatching && it->second.phase != Phase::kAwaitingFinal) continue;
    it->second.phase = Phase::kVerifying;
    return tx;
  }
  return std::nullopt;
}

void IntakeService::watch_locked(Entry& e, std::int64_t now_ms, const std::string& why) {
  if (now_ms - e.first_seen_ms >= options_.watch_ms) {
    if (e.status == "claimed") {  // only an attestation was left to check
      for (std::size_t i = e.attestations_checked; i < e.attestations.size(); ++i) {
        const ReferralAttestation& a = e.attestations[i];
        e.attestation_results.push_back(
            {{"minter", a.minter.lower_hex()},
             {"referrer", a.referrer.lower_hex()},
             {"accepted", false},
             {"code", "unchecked"},
             {"message", "the chain could not be read to check it: " + e.last_error}});
      }
      e.attestations_checked = e.attestations.size();
      finish_locked(e, "claimed", "", "confirmed");
    } else if (e.last_error.empty()) {
      finish_locked(e, "not_found",
                    "no endpoint knew the transaction within " +
                        std::to_string(options_.watch_ms / 1000) +
                        " s: not mined, dropped, or sent on another chain",
                    "not_found");
    } else {
      finish_locked(e, "unknown",
                    "the chain could not be read within the watch: " + e.last_error +
                        " (the follower still finds the claim by itself)",
                    "error");
    }
    return;
  }
  e.phase = Phase::kWatching;
  e.reason = why;
  // Back off on repeated failures so a broken RPC is not hammered by hints.
  const std::int64_t delay =
      std::min<std::int64_t>(options_.recheck_ms << std::min<std::uint32_t>(e.failures, 5),
                             std::max<std::int64_t>(options_.recheck_ms, 30'000));
  e.next_check_ms = now_ms + delay;
  rechecks_.emplace(e.next_check_ms, e.tx);
}

void IntakeService::finish_locked(Entry& e, const std::string& status, const std::string& reason,
                                  const std::string& outcome) {
  e.phase = Phase::kFinished;
  e.status = status;
  e.reason = reason;
  e.finished_at_ms = clock_.now_ms();
  e.outcome = outcome;
  finished_order_.push_back(e.tx.hex());
  if (e.reported) return;  // a later pass for an attestation: the hint was counted
  e.reported = true;
  if (hooks_.on_hint) hooks_.on_hint(e.first_source, outcome);
  if (outcome == "off_chain") {
    log_warn("hint_mismatch", {{"tx", e.tx.hex()},
                               {"reason", reason},
                               {"next",
                                "none: the scan is the truth; check the RPC endpoints "
                                "if this repeats"}});
  } else {
    log_debug("hint_finished", {{"tx", e.tx.hex()}, {"status", status}});
  }
}

void IntakeService::verify(const eth::Hash32& tx) {
  const std::int64_t now = clock_.now_ms();
  std::vector<store::Claim> claims;
  std::optional<eth::BlockPin> block;
  std::vector<ReferralAttestation> attestations;
  std::uint32_t sources = 0;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(tx.hex());
    if (it == entries_.end()) return;
    claims = it->second.claims;
    block = it->second.block;
    attestations.assign(it->second.attestations.begin() +
                            static_cast<std::ptrdiff_t>(it->second.attestations_checked),
                        it->second.attestations.end());
    sources = it->second.sources;
  }
  auto with_entry = [&](auto&& fn) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(tx.hex());
    if (it != entries_.end()) fn(it->second);
  };
  auto rpc_failed = [&](const std::string& what, const Status& st) {
    with_entry([&](Entry& e) {
      ++e.failures;
      e.last_error = what + ": " + st.to_string();
      watch_locked(e, now, "re-checking after an RPC failure");
    });
  };

  // 1. The receipt, once: what the chain says the tx did.
  if (claims.empty()) {
    auto receipt = chain_.receipt(tx);
    if (!receipt.ok()) return rpc_failed("receipt", receipt.status());
    if (!*receipt) {
      with_entry([&](Entry& e) {
        e.last_error.clear();
        watch_locked(e, now, "not mined yet (or not known to the endpoints); re-checking");
      });
      return;
    }
    const eth::Receipt& r = **receipt;
    if (!r.success) {
      with_entry([&](Entry& e) {
        finish_locked(e, "no_claim", "the transaction reverted: it minted nothing", "reverted");
      });
      return;
    }
    std::vector<const eth::LogEntry*> mint_logs;
    for (const eth::LogEntry& log : r.logs) {
      if (log.address != options_.contract || log.topics.empty()) continue;
      if (!is_transfer_topic(log.topics[0])) continue;
      if (log.block_hash != r.block_hash || log.block_number != r.block_number) {
        return rpc_failed(
            "receipt", error(ErrorCode::kUnavailable, "a log's block differs from the receipt's"));
      }
      mint_logs.push_back(&log);
    }
    if (mint_logs.empty()) {
      with_entry([&](Entry& e) {
        finish_locked(
            e, "no_claim",
            "the transaction holds no transfer of contract " + options_.contract.lower_hex(),
            "mismatch");
      });
      return;
    }
    auto header = chain_.header(r.block_number);
    if (!header.ok()) return rpc_failed("header", header.status());
    if (header->hash != r.block_hash) {
      // The block was replaced between the two reads: look again shortly.
      return rpc_failed(
          "header", error(ErrorCode::kUnavailable, "block " + std::to_string(r.block_number) +
                                                       " changed while the receipt was checked"));
    }
    std::uint64_t ignored = 0;
    for (const eth::LogEntry* log : mint_logs) {
      Status st = append_mint_claims(*log, *header, rules_, now, claims, ignored);
      if (!st.ok()) {
        with_entry([&](Entry& e) {
          finish_locked(e, "no_claim", "a log of the contract does not decode: " + st.message(),
                        "error");
        });
        return;
      }
    }
    if (claims.empty()) {
      with_entry([&](Entry& e) {
        finish_locked(e, "no_claim",
                      "the transaction holds no mint of a configured level (transfers, burns "
                      "and other ids are not claims)",
                      "mismatch");
      });
      return;
    }
    block = eth::BlockPin{r.block_number, r.block_hash};
    with_entry([&](Entry& e) {
      e.claims = claims;
      e.block = block;
      e.last_error.clear();
      e.failures = 0;
    });
  }
  for (store::Claim& c : claims) c.sources = sources;

  // 2. when_final: the scan ingests the claims at finality; the hint then only adds to them.
  if (options_.replicate == IntakeReplicate::kWhenFinal) {
    const auto checkpoint = store_.checkpoint();
    if (!checkpoint || *checkpoint < block->number) {
      with_entry([&](Entry& e) {
        e.phase = Phase::kAwaitingFinal;
        e.status = "awaiting_finality";
        e.reason = "verified on chain; replicated once block " + std::to_string(block->number) +
                   " is final (intake.replicate = \"when_final\")";
        e.next_check_ms = now + options_.recheck_ms;
        rechecks_.emplace(e.next_check_ms, e.tx);
      });
      return;
    }
  }

  // 3. Attestations: the first accepted one per minter gives the referrer.
  struct Referral {
    eth::Address referrer;
    eth::Hash32 nonce;
    std::size_t result_index;
  };
  std::map<std::string, Referral> referral_of;  // by minter
  std::vector<json> results;
  std::size_t checked = 0;
  bool rpc_pending = false;
  for (const ReferralAttestation& a : attestations) {
    const bool mints = std::any_of(claims.begin(), claims.end(),
                                   [&](const store::Claim& c) { return c.wallet == a.minter; });
    json result = {{"minter", a.minter.lower_hex()}, {"referrer", a.referrer.lower_hex()}};
    if (!mints) {
      result["accepted"] = false;
      result["code"] = "minter_mismatch";
      result["message"] = "the attestation's minter received no claim in this transaction";
      if (hooks_.on_attestation) hooks_.on_attestation("none", "minter_mismatch");
    } else if (!checks_.verify) {
      result["accepted"] = false;
      result["code"] = "unsupported";
      result["message"] = "attestations are not checked by this node";
    } else {
      AttestationContext ctx;
      ctx.chain_id = options_.chain_id;
      ctx.contract = options_.contract;
      ctx.log_minter = a.minter;
      ctx.tx_hash = tx;
      ctx.now_s = static_cast<std::uint64_t>(now / 1000);
      auto verdict = checks_.verify(a, ctx);
      if (!verdict.ok()) {
        rpc_pending = true;  // checked again on the next pass; the claim goes in meanwhile
        break;
      }
      result["accepted"] = verdict->accepted;
      if (!verdict->scheme.empty()) result["scheme"] = verdict->scheme;
      if (!verdict->accepted) {
        result["code"] = verdict->code;
        result["message"] = verdict->message;
        if (hooks_.on_attestation)
          hooks_.on_attestation(verdict->scheme.empty() ? "none" : verdict->scheme, verdict->code);
      } else if (!referral_of.count(a.minter.lower_hex())) {
        referral_of[a.minter.lower_hex()] = {a.referrer, a.nonce, results.size()};
      } else {
        result["accepted"] = false;
        result["code"] = "superseded";
        result["message"] = "an earlier attestation of this minter was accepted first";
      }
    }
    results.push_back(std::move(result));
    ++checked;
  }

  // 4. Ingest through the one path. A block the scan has covered is its decision.
  bool mismatch = false;
  std::string store_error;
  bool created = false;
  for (store::Claim c : claims) {
    std::optional<eth::Hash32> nonce;
    auto ref = referral_of.find(c.wallet.lower_hex());
    if (ref != referral_of.end()) {
      c.referrer = ref->second.referrer;
      nonce = ref->second.nonce;
    }
    auto out = store_.ingest_hint(c, nonce, now);
    if (!out.ok()) {
      if (out.status().code() == ErrorCode::kFailedPrecondition) {
        mismatch = true;
        store_error = out.status().message();
        continue;
      }
      store_error = out.status().to_string();
      break;
    }
    created |= out->created || out->revived;
    if (ref != referral_of.end()) {
      json& r = results[ref->second.result_index];
      if (out->referral_replayed) {
        r["accepted"] = false;
        r["code"] = "replayed";
        r["message"] = "this nonce was already used for another claim of the minter";
      } else if (out->referrer != ref->second.referrer) {
        r["note"] = "the claim already had a referrer (first one wins)";
      }
    }
  }
  for (const json& r : results) {
    if (r.value("accepted", false) && hooks_.on_attestation)
      hooks_.on_attestation(r.value("scheme", "none"), "accepted");
    else if (r.value("code", "") == "replayed" && hooks_.on_attestation)
      hooks_.on_attestation(r.value("scheme", "none"), "replayed");
  }
  if (created && hooks_.on_ingested) hooks_.on_ingested();

  with_entry([&](Entry& e) {
    // Those checked now have results; later ones (submitted meanwhile) wait.
    e.attestations_checked = std::min(e.attestations.size(), e.attestations_checked + checked);
    for (json& r : results) e.attestation_results.push_back(std::move(r));
    if (!store_error.empty() && !mismatch) {
      ++e.failures;
      e.last_error = "store: " + store_error;
      watch_locked(e, now, "re-trying after a store failure");
      return;
    }
    if (mismatch) {
      finish_locked(e, "mismatch",
                    "the receipt's block " + std::to_string(block->number) +
                        " is not on the chain the node scanned: " + store_error,
                    "off_chain");
      return;
    }
    if (rpc_pending || e.attestations_checked < e.attestations.size()) {
      e.last_error = rpc_pending ? "attestation: the chain could not be read" : "";
      e.status = "claimed";
      watch_locked(e, now, "checking the attestation again");
      return;
    }
    e.last_error.clear();
    finish_locked(e, "claimed", "", "confirmed");
  });
}

}  // namespace claimsync::node
