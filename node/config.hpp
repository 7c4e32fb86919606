// Config: the node's TOML configuration (config.example.toml documents every key).
//
// load_config() validates everything up front: a bad file is a clear error naming the key
// (and line where tomlplusplus knows it) and nothing starts. Secrets may come from the
// environment: `sink.url_env = "NAME"` (and `api.admin_token_env`) name a variable that,
// when set and non-empty, overrides the value in the file.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <map>
#include <string>
#include <vector>

#include "rpc/address.hpp"
#include "rpc/status.hpp"

namespace claimsync::node {

enum class FinalityMode { kConfirmations, kSafe, kFinalized };
const char* finality_mode_name(FinalityMode m);

struct ChainConfig {
  std::vector<std::string> rpc_urls;  // key chain.rpc_urls (required, >= 1, http/https)
  std::uint64_t chain_id = 0;         // chain.chain_id (required)
  eth::Address contract;              // chain.contract (required)
  std::uint64_t start_block = 0;      // chain.start_block (default 0)
  FinalityMode finality = FinalityMode::kConfirmations;  // chain.finality
  std::uint64_t confirmations = 20;      // chain.confirmations (used in kConfirmations mode)
  std::int64_t poll_interval_ms = 1000;  // chain.poll_interval_ms
  std::vector<std::uint32_t> levels;     // chain.levels (default 1..19): token ids that count
  std::uint64_t reorg_window = 256;      // chain.reorg_window: stored block hashes kept
  // chain.ws_urls (optional, at most one per rpc_urls entry, ws/wss): newHeads
  // subscriptions that wake the follower early; empty = polling only.
  std::vector<std::string> ws_urls;
};

struct RpcConfig {
  std::int64_t timeout_ms = 10'000;            // rpc.timeout_ms, per request
  std::uint32_t max_retries = 5;               // rpc.max_retries, per call (bounded)
  std::int64_t backoff_initial_ms = 200;       // rpc.backoff_initial_ms
  std::int64_t backoff_max_ms = 10'000;        // rpc.backoff_max_ms
  std::uint64_t logs_min_span = 1;             // rpc.logs_min_span (blocks per eth_getLogs)
  std::uint64_t logs_max_span = 5'000;         // rpc.logs_max_span
  std::uint64_t logs_initial_span = 1'000;     // rpc.logs_initial_span
  std::size_t max_response_bytes = 64u << 20;  // rpc.max_response_bytes
  std::size_t max_batch = 100;                 // rpc.max_batch (JSON-RPC batch size)
  std::uint64_t max_lag_blocks = 8;            // rpc.max_lag_blocks (failover on lag)
};

struct StorageConfig {
  std::string data_dir = "./claimsync-data";  // storage.data_dir
};

struct SinkConfig {
  std::string url = "sqlite:./claimsync.sqlite";  // sink.url: postgres://... or sqlite:PATH
  std::string url_env;                            // sink.url_env (optional)
  bool migrate_on_start = true;                   // sink.migrate_on_start
  std::int64_t call_timeout_ms = 30'000;          // sink.call_timeout_ms, per connect/statement
  // sink.write_connections: connections a backlog's apply is spread over, by wallet
  // (storage/laned_sink.hpp). 0 (the default) = 2 for Postgres, 1 for SQLite; more than 1
  // needs Postgres (SQLite has one writer).
  std::size_t write_connections = 0;
  // What 0 means for `url`: the number of connections the node opens for writing.
  std::size_t effective_write_connections() const;
};

struct ReplicatorConfig {
  std::size_t batch_size = 500;             // replicator.batch_size
  std::size_t max_batch_size = 5'000;       // replicator.max_batch_size (backlog batches)
  std::uint32_t max_attempts = 8;           // replicator.max_attempts
  std::int64_t backoff_initial_ms = 1'000;  // replicator.backoff_initial_ms
  std::int64_t backoff_max_ms = 60'000;     // replicator.backoff_max_ms
  std::int64_t idle_poll_ms = 500;          // replicator.idle_poll_ms
};

struct ApiConfig {
  bool enabled = false;                    // api.enabled
  std::string listen = "127.0.0.1:8645";   // api.listen (HOST:PORT; port 0 = any free port)
  std::size_t workers = 8;                 // api.workers: threads serving requests
  std::size_t max_queued = 64;             // api.max_queued: accepted connections waiting
  std::int64_t read_timeout_ms = 5'000;    // api.read_timeout_ms, per read of a request
  std::int64_t write_timeout_ms = 5'000;   // api.write_timeout_ms, per write of a response
  std::size_t max_body_bytes = 65'536;     // api.max_body_bytes (larger: 413)
  std::vector<std::string> cors_origins;   // api.cors_origins: exact origins allowed by CORS
  std::uint32_t rate_limit_per_s = 20;     // api.rate_limit_per_s per client address (0 = off)
  std::uint32_t rate_limit_burst = 40;     // api.rate_limit_burst
  std::uint64_t ready_max_lag_blocks = 5;  // api.ready_max_lag_blocks (/readyz)
  std::string admin_token_env;             // api.admin_token_env
  std::string admin_token;                 // resolved from the env var, never printed
};

struct IntakeConfig {
  std::string replicate = "at_once";  // intake.replicate: at_once | when_final
  std::size_t workers = 4;            // intake.workers (verifications in flight)
  std::size_t queue_limit = 1024;     // intake.queue_limit (hints being verified)
  std::size_t max_tracked = 10'000;   // intake.max_tracked (answers kept)
  std::int64_t watch_s = 300;         // intake.watch_s (how long an unknown tx is watched)
  std::int64_t recheck_ms = 1'000;    // intake.recheck_ms (between checks of a watched tx)
};

// One provider's webhook route, POST /v1/webhooks/{provider} (node/webhooks/).
struct WebhookProviderConfig {
  std::string secret_env;  // webhooks.<provider>.secret_env (default CLAIMSYNC_<P>_WEBHOOK_SECRET)
  std::string network;     // webhooks.<provider>.network: extra network name for chain_id
  std::string secret;      // resolved from the env var, never printed; "" = route disabled
};

struct WebhooksConfig {
  std::size_t max_body_bytes = 1 << 20;   // webhooks.max_body_bytes (inflated size, too)
  std::size_t replay_capacity = 100'000;  // webhooks.replay_capacity (deliveries remembered)
  // Every provider of the verifier table, configured or not (sections are optional).
  std::map<std::string, WebhookProviderConfig> providers;
};

// [alerts]: the built-in notifier (node/alerts/), for deployments without Prometheus.
struct AlertsConfig {
  bool enabled = false;                                          // alerts.enabled
  std::string webhook_url_env = "CLAIMSYNC_ALERTS_WEBHOOK_URL";  // alerts.webhook_url_env
  std::string webhook_url;             // resolved from the env var, never printed (it is a secret)
  std::string format = "slack";        // alerts.format: slack|json
  std::int64_t min_interval_s = 10;    // alerts.min_interval_s: at most one message per
  std::int64_t timeout_ms = 5'000;     // alerts.timeout_ms: each POST
  std::int64_t pending_age_s = 600;    // alerts.pending_age_s
  std::uint64_t blocks_behind = 50;    // alerts.blocks_behind ...
  std::int64_t behind_for_s = 900;     // ... for alerts.behind_for_s
  std::int64_t sink_down_for_s = 300;  // alerts.sink_down_for_s
  std::int64_t rpc_down_for_s = 300;   // alerts.rpc_down_for_s
};

// `claimsync reconcile` (issue 14).
struct ReconcileConfig {
  // reconcile.max_repair_fraction: --repair refuses when the differences exceed this share
  // of the claims compared (0..1; 0 refuses every repair).
  double max_repair_fraction = 0.05;
  // reconcile.interval_s: `claimsync run` reconciles (read only, at `finalized`) every this
  // many seconds, counted from the end of the previous run; 0 = never (the default).
  // 1..kMaxReconcileIntervalS; below kShortReconcileIntervalS the node warns at start.
  std::int64_t interval_s = 0;
  // reconcile.balance_concurrency: balanceOfBatch calls in flight in the node's runs, 1..16.
  std::size_t balance_concurrency = 4;
};
inline constexpr std::int64_t kShortReconcileIntervalS = 60;
inline constexpr std::int64_t kMaxReconcileIntervalS = 30 * 86'400;

// [ha]: an active/standby pair on one Postgres database (issue 15; node/ha/).
struct HaConfig {
  bool enabled = false;  // ha.enabled; refused with a SQLite sink (one node)
  // ha.node_id: this node's name in the lease row and in status; "" = "<hostname>:<data_dir>"
  // (resolved by the daemon). The lease holder is "<node_id>/<instance>", unique per process.
  std::string node_id;
  std::int64_t lease_ttl_ms = 10'000;  // ha.lease_ttl_ms: a holder silent this long loses it
  std::int64_t renew_interval_ms = 0;  // ha.renew_interval_ms; 0 = lease_ttl_ms / 4
  std::int64_t renew_every_ms() const {
    return renew_interval_ms > 0 ? renew_interval_ms : std::max<std::int64_t>(lease_ttl_ms / 4, 1);
  }
};

struct LogConfig {
  std::string level = "info";   // log.level: debug|info|warn|error
  std::string format = "text";  // log.format: text|json
};

struct Config {
  ChainConfig chain;
  RpcConfig rpc;
  StorageConfig storage;
  SinkConfig sink;
  ReplicatorConfig replicator;
  ApiConfig api;
  IntakeConfig intake;
  WebhooksConfig webhooks;
  AlertsConfig alerts;
  ReconcileConfig reconcile;
  HaConfig ha;
  LogConfig log;
  std::string source_path;  // the file it came from
};

// Parses and validates a TOML file. Errors: kInvalidArgument with "<file>:<line>: key
// <dotted.key>: <what is wrong>" (unknown keys are errors too, to catch typos).
Result<Config> load_config(const std::string& path);
Result<Config> parse_config(const std::string& toml_text, const std::string& source_name);

// The effective config as TOML, secrets masked (passwords in URLs, tokens).
std::string render_config(const Config& config);

// Masks the password of a URL: postgres://u:secret@h/db -> postgres://u:***@h/db.
std::string mask_url(const std::string& url);
// An RPC URL as the RPC client logs it: the origin, the path and query (where providers put
// API keys) replaced by "/…": https://arb.example/v2/KEY -> https://arb.example:443/…
std::string mask_rpc_url(const std::string& url);
// The same for a WebSocket URL: wss://arb.example/v2/KEY -> wss://arb.example:443/…
std::string mask_ws_url(const std::string& url);

}  // namespace claimsync::node
