// SinkLease over Postgres (contract in storage/sink_lease.hpp): one upsert takes or renews
// the row, all decisions on the database's clock (clock_timestamp(), not the transaction's
// start: an upsert that waited for a row lock judges expiry at the moment it decides).
#include <optional>

#include "storage/pg_connection.hpp"
#include "storage/sink_lease.hpp"
#include "storage/sink_url.hpp"

namespace claimsync::store {

const char* const kLeaseFenceSql = R"SQL(
SELECT 1 FROM claimsync_lease
WHERE lease_key = $1 AND holder = $2 AND token = $3::bigint AND expires_at > clock_timestamp()
FOR SHARE)SQL";

namespace {

// Takes the row when absent or expired (a new holder, or this one again after a lapse:
// token + 1), renews it for its holder (same token). Returns nothing when another holder's
// lease is live; the row locks make two takers serialise, so only one of them wins.
constexpr const char* kAcquireSql = R"SQL(
INSERT INTO claimsync_lease AS l (lease_key, holder, token, acquired_at, renewed_at, expires_at)
VALUES ($1, $2, 1, clock_timestamp(), clock_timestamp(),
        clock_timestamp() + make_interval(secs => $3::double precision / 1000))
ON CONFLICT (lease_key) DO UPDATE SET
  token = CASE WHEN l.holder = EXCLUDED.holder AND l.expires_at > clock_timestamp()
               THEN l.token ELSE l.token + 1 END,
  acquired_at = CASE WHEN l.holder = EXCLUDED.holder AND l.expires_at > clock_timestamp()
                     THEN l.acquired_at ELSE clock_timestamp() END,
  holder = EXCLUDED.holder,
  renewed_at = clock_timestamp(),
  expires_at = clock_timestamp() + make_interval(secs => $3::double precision / 1000)
WHERE l.holder = EXCLUDED.holder OR l.expires_at <= clock_timestamp()
RETURNING token, (extract(epoch FROM expires_at - clock_timestamp()) * 1000)::bigint)SQL";

constexpr const char* kReadSql = R"SQL(
SELECT holder, token, (extract(epoch FROM expires_at - clock_timestamp()) * 1000)::bigint
FROM claimsync_lease WHERE lease_key = $1)SQL";

constexpr const char* kReleaseSql = R"SQL(
UPDATE claimsync_lease SET expires_at = clock_timestamp(), renewed_at = clock_timestamp()
WHERE lease_key = $1 AND holder = $2 AND token = $3::bigint AND expires_at > clock_timestamp())SQL";

std::int64_t to_int(std::string_view v) { return std::stoll(std::string(v)); }

class PostgresLease final : public SinkLease {
 public:
  PostgresLease(std::string url, const SinkOptions& options)
      : url_(std::move(url)), options_{options.call_timeout_ms, options.stop} {}

  Result<LeaseState> acquire(const std::string& lease_key, const std::string& holder,
                             std::int64_t ttl_ms) override {
    CLAIMSYNC_RETURN_IF_ERROR(ensure_connected());
    auto taken = conn_->exec_params(kAcquireSql, {lease_key, holder, std::to_string(ttl_ms)});
    if (!taken.ok()) return forget(taken.status());
    LeaseState out;
    if (taken->rows() == 1) {
      out.held = true;
      out.holder = holder;
      out.token = to_int(taken->value(0, 0));
      out.expires_in_ms = to_int(taken->value(0, 1));
      return out;
    }
    auto seen = conn_->exec_params(kReadSql, {lease_key});
    if (!seen.ok()) return forget(seen.status());
    if (seen->rows() == 1) {
      out.holder = std::string(seen->value(0, 0));
      out.token = to_int(seen->value(0, 1));
      out.expires_in_ms = to_int(seen->value(0, 2));
    }
    return out;
  }

  Status release(const std::string& lease_key, const std::string& holder,
                 std::int64_t token) override {
    CLAIMSYNC_RETURN_IF_ERROR(ensure_connected());
    auto r = conn_->exec_params(kReleaseSql, {lease_key, holder, std::to_string(token)});
    if (!r.ok()) return forget(r.status());
    return {};
  }

 private:
  Status ensure_connected() {
    if (conn_ && conn_->healthy()) return {};
    if (conn_) {
      if (Status st = conn_->reset(); !st.ok()) return st;
    } else {
      auto parsed = parse_sink_url(url_);
      if (!parsed.ok()) return parsed.status();
      if (parsed->dialect != SqlDialect::kPostgres) {
        return error(ErrorCode::kInvalidArgument,
                     "the active/standby lease needs a Postgres sink.url (SQLite: one node)");
      }
      auto c = PgConnection::connect(parsed->target, options_);
      if (!c.ok()) return c.status();
      conn_.emplace(std::move(c).value());
    }
    // A takeover may wait for the old holder's write transaction (its share lock); not for
    // longer than half a call, so the keeper's loop stays on time.
    const std::int64_t lock_ms = std::max<std::int64_t>(options_.call_timeout_ms / 2, 1);
    const std::int64_t statement_ms = std::max<std::int64_t>(options_.call_timeout_ms * 2 / 3, 1);
    auto set = conn_->exec("SET lock_timeout = " + std::to_string(lock_ms) +
                           "; SET statement_timeout = " + std::to_string(statement_ms));
    return set.status();
  }

  Status forget(const Status& st) {
    if (st.is_transient() && conn_) conn_->close();
    return st;
  }

  std::string url_;
  PgCallOptions options_;
  std::optional<PgConnection> conn_;
};

}  // namespace

std::unique_ptr<SinkLease> open_postgres_lease(const std::string& url, const SinkOptions& options) {
  return std::make_unique<PostgresLease>(url, options);
}

}  // namespace claimsync::store
