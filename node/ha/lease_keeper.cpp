#include "node/ha/lease_keeper.hpp"

#include <algorithm>

#include "rpc/logging.hpp"

namespace claimsync::node {

const char* ha_role_name(HaRole role) {
  switch (role) {
    case HaRole::kActive: return "active";
    case HaRole::kStandby: return "standby";
    case HaRole::kStarting: break;
  }
  return "starting";
}

LeaseKeeper::LeaseKeeper(store::SinkLease& lease, Clock& clock, LeaseKeeperOptions options,
                         std::function<void(HaRole)> on_role_change)
    : lease_(lease),
      clock_(clock),
      options_(std::move(options)),
      on_role_change_(std::move(on_role_change)) {
  options_.ttl_ms = std::max<std::int64_t>(options_.ttl_ms, 1);
  options_.renew_every_ms = std::clamp<std::int64_t>(options_.renew_every_ms, 1, options_.ttl_ms);
  status_.node_id = options_.node_id;
  status_.role_since_ms = clock_.now_ms();
}

HaRole LeaseKeeper::role_locked() const {
  if (held_token_ != 0 && clock_.monotonic_us() < valid_until_us_) return HaRole::kActive;
  return answered_ || status_.takeovers > 0 ? HaRole::kStandby : HaRole::kStarting;
}

void LeaseKeeper::tick() {
  const std::int64_t sent_us = clock_.monotonic_us();
  auto seen = lease_.acquire(options_.lease_key, options_.holder, options_.ttl_ms);
  const std::int64_t now_ms = clock_.now_ms();
  HaRole after;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (seen.ok()) {
      answered_ = true;
      status_.last_error.clear();
      status_.holder = seen->holder;
      status_.token = seen->token;
      if (seen->held) {
        // A new token is a new grant: the first, or one after a lapse (the database
        // bumps the token whenever the lease had run out).
        if (seen->token != held_token_) ++status_.takeovers;
        held_token_ = seen->token;
        const std::int64_t granted_ms = std::min(seen->expires_in_ms, options_.ttl_ms);
        valid_until_us_ = sent_us + std::max<std::int64_t>(granted_ms, 0) * 1000;
      } else {
        held_token_ = 0;
        valid_until_us_ = 0;
      }
    } else {
      status_.last_error = seen.status().to_string();
    }
    after = role_locked();
  }
  if (!seen.ok()) {
    // Loud when it matters (the holder may lose the lease) or when the error is new (e.g.
    // the table is missing: `claimsync migrate`); repeats of a known outage stay quiet.
    const std::string what = seen.status().to_string();
    const bool loud = after == HaRole::kActive || what != last_logged_error_;
    last_logged_error_ = what;
    log_event(loud ? LogLevel::kWarn : LogLevel::kDebug, "ha_lease_call_failed",
              {{"error", what},
               {"role", ha_role_name(after)},
               {"next", after == HaRole::kActive
                            ? "check the database connection: the lease runs out unless renewed"
                            : "check sink.url and that `claimsync migrate` ran (table "
                              "claimsync_lease); retried every renew interval"}});
  } else {
    last_logged_error_.clear();
  }
  note_role(last_role_, after, now_ms);
}

void LeaseKeeper::note_role(HaRole before, HaRole after, std::int64_t now_ms) {
  if (before == after) return;
  last_role_ = after;
  HaStatus s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_.role_since_ms = now_ms;
    s = status_;
  }
  log_event(
      after == HaRole::kActive || before == HaRole::kActive ? LogLevel::kWarn : LogLevel::kInfo,
      "ha_role_changed",
      {{"role", ha_role_name(after)},
       {"was", ha_role_name(before)},
       {"node_id", options_.node_id},
       {"holder", s.holder},
       {"token", s.token},
       {"next", after == HaRole::kActive
                    ? std::string("none: this node replicates now")
                    : "none: this node follows the chain and takes over when the "
                      "lease of " +
                          (s.holder.empty() ? std::string("the active node") : s.holder) +
                          " runs out"}});
  if (on_role_change_) on_role_change_(after);
}

void LeaseKeeper::run(const StopFlag& stop) {
  log_info("ha_started", {{"node_id", options_.node_id},
                          {"holder", options_.holder},
                          {"lease", options_.lease_key},
                          {"ttl_ms", options_.ttl_ms},
                          {"renew_every_ms", options_.renew_every_ms}});
  while (!stop.stop_requested()) {
    tick();
    // The grant may run out between ticks (calls failing): notice it on time.
    std::int64_t wait_ms = options_.renew_every_ms;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (held_token_ != 0) {
        const std::int64_t left_ms = (valid_until_us_ - clock_.monotonic_us()) / 1000;
        wait_ms = std::clamp<std::int64_t>(left_ms, 1, wait_ms);
      }
    }
    if (stop.wait_for_ms(wait_ms)) break;
    HaRole now_role;
    {
      std::lock_guard<std::mutex> lock(mu_);
      now_role = role_locked();
    }
    note_role(last_role_, now_role, clock_.now_ms());
  }
}

void LeaseKeeper::release(store::SinkLease* via) {
  std::int64_t token;
  {
    std::lock_guard<std::mutex> lock(mu_);
    token = held_token_;
    held_token_ = 0;
    valid_until_us_ = 0;
  }
  if (token == 0) return;
  const Status st =
      (via != nullptr ? *via : lease_).release(options_.lease_key, options_.holder, token);
  if (st.ok()) {
    log_info("ha_lease_released",
             {{"token", token}, {"next", "none: the standby takes over at its next renewal"}});
  } else {
    log_warn("ha_lease_release_failed",
             {{"token", token},
              {"error", st.to_string()},
              {"next", "none: the standby takes over when the lease runs out"}});
  }
}

std::optional<store::FenceToken> LeaseKeeper::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (role_locked() != HaRole::kActive) return std::nullopt;
  return store::FenceToken{options_.lease_key, options_.holder, held_token_};
}

HaStatus LeaseKeeper::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  HaStatus s = status_;
  s.role = role_locked();
  return s;
}

}  // namespace claimsync::node
