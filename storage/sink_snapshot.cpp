#include "storage/sink_snapshot.hpp"

#include <charconv>
#include <limits>

#include "storage/pg_connection.hpp"
#include "storage/sink_url.hpp"
#include "storage/sqlite_database.hpp"

namespace claimsync::store {

const char* const kSnapshotLedgerSql =
    "SELECT claim_key, status, wallet_address, level FROM claim_sync_queue "
    "WHERE chain_id = $1 ORDER BY claim_key";
const char* const kSnapshotMembershipSql =
    "SELECT wallet_address, nft_level, claim_key FROM membership "
    "ORDER BY wallet_address, nft_level";
const char* const kSnapshotMembersSql =
    "SELECT wallet_address, current_level FROM members ORDER BY wallet_address";

namespace {

template <typename T>
std::optional<T> parse_int(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  T v{};
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

std::optional<eth::Address> parse_wallet(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  auto a = eth::Address::parse(*text);
  if (!a.ok()) return std::nullopt;
  return *a;
}

std::optional<ClaimKey> parse_key(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  auto k = ClaimKey::parse(*text);
  if (!k.ok()) return std::nullopt;
  return *k;
}

class PostgresSnapshotReader final : public SinkSnapshotReader {
 public:
  explicit PostgresSnapshotReader(PgConnection conn) : conn_(std::move(conn)) {}
  Result<SinkSnapshot> read(std::uint64_t chain_id) override {
    return read_postgres_snapshot(conn_, chain_id);
  }

 private:
  PgConnection conn_;
};

class SqliteSnapshotReader final : public SinkSnapshotReader {
 public:
  explicit SqliteSnapshotReader(std::unique_ptr<SQLite::Database> db) : db_(std::move(db)) {}
  Result<SinkSnapshot> read(std::uint64_t chain_id) override {
    return read_sqlite_snapshot(*db_, chain_id);
  }

 private:
  std::unique_ptr<SQLite::Database> db_;
};

}  // namespace

SinkSnapshot snapshot_from_text(const SnapshotText& text) {
  SinkSnapshot out;
  for (const auto& r : text.ledger) {
    auto key = parse_key(r.at(0));
    auto wallet = parse_wallet(r.at(2));
    auto level = parse_int<std::uint32_t>(r.at(3));
    if (!key || !r.at(1) || !wallet || !level) {
      ++out.unreadable_rows;
      continue;
    }
    out.ledger.push_back({*key, *r.at(1), *wallet, *level});
  }
  for (const auto& r : text.membership) {
    auto wallet = parse_wallet(r.at(0));
    auto level = parse_int<std::uint32_t>(r.at(1));
    auto key = parse_key(r.at(2));
    if (!wallet || !level || (r.at(2) && !key)) {
      ++out.unreadable_rows;
      continue;
    }
    out.membership.push_back({*wallet, *level, key});
  }
  for (const auto& r : text.members) {
    auto wallet = parse_wallet(r.at(0));
    auto level = parse_int<std::int64_t>(r.at(1));
    if (!wallet || !level) {
      ++out.unreadable_rows;
      continue;
    }
    out.members.push_back({*wallet, *level});
  }
  return out;
}

Result<std::unique_ptr<SinkSnapshotReader>> open_sink_snapshot_reader(const std::string& url,
                                                                      const SinkOptions& options) {
  auto parsed = parse_sink_url(url);
  if (!parsed.ok()) return parsed.status();
  if (parsed->dialect == SqlDialect::kPostgres) {
    auto conn =
        PgConnection::connect(parsed->target, PgCallOptions{options.call_timeout_ms, options.stop});
    if (!conn.ok()) return conn.status();
    return std::unique_ptr<SinkSnapshotReader>(
        std::make_unique<PostgresSnapshotReader>(std::move(conn).value()));
  }
  auto db = open_sqlite_database(parsed->target);
  if (!db.ok()) return db.status();
  return std::unique_ptr<SinkSnapshotReader>(
      std::make_unique<SqliteSnapshotReader>(std::move(db).value()));
}

}  // namespace claimsync::store
