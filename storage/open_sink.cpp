// open_sink(): the sink a `sink.url` names, migrated when asked.
#include "storage/membership_sink.hpp"
#include "storage/migration_runner.hpp"
#include "storage/postgres_sink.hpp"
#include "storage/sink_url.hpp"
#include "storage/sqlite_sink.hpp"

namespace claimsync::store {

Result<std::unique_ptr<MembershipSink>> open_sink(const std::string& url, bool migrate,
                                                  const SinkOptions& options) {
  auto parsed = parse_sink_url(url);
  if (!parsed.ok()) return parsed.status();
  if (parsed->dialect == SqlDialect::kPostgres) {
    auto sink =
        PostgresSink::open(parsed->target, PgCallOptions{options.call_timeout_ms, options.stop});
    if (!sink.ok()) return sink.status();
    (*sink)->set_fence(options.fence);
    if (migrate) {
      auto target = postgres_migration_target((*sink)->connection());
      auto report = run_migrations(*target, embedded_migrations(SqlDialect::kPostgres));
      if (!report.ok()) return report.status();
    }
    return std::unique_ptr<MembershipSink>(std::move(sink).value());
  }
  if (options.fence != nullptr) {
    return error(ErrorCode::kInvalidArgument,
                 "an active/standby lease needs a Postgres sink.url; a SQLite database has "
                 "one node (set ha.enabled = false)");
  }
  auto sink = SqliteSink::open(parsed->target);
  if (!sink.ok()) return sink.status();
  if (migrate) {
    auto target = sqlite_migration_target((*sink)->database());
    auto report = run_migrations(*target, embedded_migrations(SqlDialect::kSqlite));
    if (!report.ok()) return report.status();
  }
  return std::unique_ptr<MembershipSink>(std::move(sink).value());
}

}  // namespace claimsync::store
