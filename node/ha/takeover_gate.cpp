#include "node/ha/takeover_gate.hpp"

#include "node/ha/ledger_adoption.hpp"
#include "rpc/logging.hpp"
#include "storage/pg_connection.hpp"
#include "storage/sink_url.hpp"

namespace claimsync::node {

TakeoverGate::TakeoverGate(LeaseKeeper& keeper, store::NodeStore& store, std::string sink_url,
                           store::SinkOptions options, std::uint64_t chain_id, Clock& clock)
    : keeper_(keeper),
      store_(store),
      sink_url_(std::move(sink_url)),
      options_(options),
      chain_id_(chain_id),
      clock_(clock) {}

bool TakeoverGate::may_replicate() {
  const std::optional<store::FenceToken> held = keeper_.current();
  if (!held) return false;
  if (held->token == adopted_token_.load()) return true;

  const std::int64_t started_us = clock_.monotonic_us();
  const auto failed = [&](const Status& st) {
    log_warn("ha_adoption_failed",
             {{"token", held->token},
              {"error", st.to_string()},
              {"next", "none: retried at the next replicator step; replication waits for it"}});
    return false;
  };
  auto url = store::parse_sink_url(sink_url_);
  if (!url.ok()) return failed(url.status());
  auto conn = store::PgConnection::connect(url->target, {options_.call_timeout_ms, options_.stop});
  if (!conn.ok()) return failed(conn.status());
  auto adopted = adopt_sink_ledger(*conn, store_, chain_id_, clock_, options_.stop);
  if (!adopted.ok()) return failed(adopted.status());
  adopted_token_.store(held->token);
  log_info("ha_takeover_adopted", {{"token", held->token},
                                   {"ledger_rows", adopted->rows},
                                   {"ingested_as_hints", adopted->hinted},
                                   {"revoking", adopted->revoked},
                                   {"reapplying", adopted->reapplied},
                                   {"unreadable", adopted->unreadable},
                                   {"took_ms", (clock_.monotonic_us() - started_us) / 1000},
                                   {"next", "none: replicating as the active node"}});
  return true;
}

}  // namespace claimsync::node
