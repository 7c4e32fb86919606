// StatusReport: what `claimsync status` shows, the same figures whether the node is running
// (read from the snapshot the running node writes) or stopped (read from the store and
// probed live).
//
// JSON form (`claimsync status --json`), stable for scripts and tests:
// {
//   "node":   {"running": bool, "snapshot_age_ms": int|null, "pid": int|null},
//   "chain":  {"chain_id": int, "contract": "0x..", "head": int|null, "target": int|null,
//              "checkpoint": int|null, "lag_blocks": int|null, "rpc_reachable": bool|null,
//              "follower_error": str},
//   "ranges": {"scanned": [[from,to],...], "holes": [[from,to],...]},
//   "claims": {"pending": n, "retrying": n, "done": n, "dead": n, "orphaned": n,
//              "revoking": n, "revoked": n, "total": n,
//              "oldest_pending_age_s": int|null},
//   "db":     {"reachable": bool|null, "error": str, "paused": bool,
//              "retry_in_ms": int|null,    // paused: when the next probe happens
//              "failures": int},           // consecutive whole-call failures
//   "subscription": null | {"connected": bool, "heads": n, "reconnects": n, "ignored": n,
//                           "error": str},   // chain.ws_urls set: the newHeads hint
//   "ha": null | {"enabled": true, "role": "active"|"standby"|"starting", "node_id": str,
//                 "holder": str, "token": n, "takeovers": n, "role_since_ms": n,
//                 "adopted_token": n, "last_error": str},   // [ha] on: the pair's lease
//   "last_error": str,
//   "caught_up": bool   // checkpoint >= target, no hole below it, nothing
//                       // pending/retrying/revoking (on a standby: the outbox is not
//                       // its to drain, so only the blocks count)
// }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "storage/node_store.hpp"

namespace claimsync::node {

struct StatusReport {
  bool running = false;
  std::optional<std::int64_t> snapshot_age_ms;
  std::optional<std::int64_t> pid;

  std::uint64_t chain_id = 0;
  std::string contract;
  std::optional<std::uint64_t> head;
  std::optional<std::uint64_t> target;
  std::optional<std::uint64_t> checkpoint;
  std::optional<bool> rpc_reachable;
  std::string follower_error;

  std::vector<store::BlockRange> scanned;
  std::vector<store::BlockRange> holes;

  store::StateCounters counters;
  std::optional<std::int64_t> oldest_pending_age_s;

  std::optional<bool> db_reachable;
  std::string db_error;
  bool db_paused = false;
  std::optional<std::int64_t> db_retry_in_ms;
  std::uint32_t db_failures = 0;

  // The newHeads subscription (chain.ws_urls); absent when not configured.
  struct Subscription {
    bool connected = false;
    std::uint64_t heads = 0;
    std::uint64_t reconnects = 0;
    std::uint64_t ignored = 0;
    std::string error;  // why the last session ended
  };
  std::optional<Subscription> subscription;

  // The active/standby lease ([ha]); absent when ha.enabled is false.
  struct Ha {
    std::string role;  // "active" / "standby" / "starting"
    std::string node_id;
    std::string holder;  // the lease's holder as last seen
    std::int64_t token = 0;
    std::uint64_t takeovers = 0;
    std::int64_t role_since_ms = 0;
    std::int64_t adopted_token = 0;  // the takeover whose ledger adoption is done
    std::string last_error;
  };
  std::optional<Ha> ha;
  bool standby() const { return ha && ha->role != "active"; }

  std::string last_error;

  std::optional<std::uint64_t> lag_blocks() const;
  bool caught_up() const;

  nlohmann::json to_json() const;
  static StatusReport from_json(const nlohmann::json& j);  // throws nlohmann errors on bad input
  std::string to_text() const;                             // human-readable, for the terminal
};

}  // namespace claimsync::node

namespace claimsync::node {

// The parts of a report the store knows: checkpoint, scanned ranges and holes below the
// highest scanned block, counters, oldest pending age, the identity. `now_ms` dates ages.
StatusReport store_status(const store::NodeStore& store, std::int64_t now_ms);

}  // namespace claimsync::node
