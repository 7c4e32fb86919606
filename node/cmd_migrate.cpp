// `claimsync migrate`: applies the pending SQL migrations to the membership database named
// by sink.url (storage/migration_runner.hpp). Safe to run while the daemon runs and from
// several hosts at once; refuses to run when an applied migration file was changed.
#include <iostream>

#include "node/cli_common.hpp"
#include "rpc/logging.hpp"
#include "storage/migration_runner.hpp"
#include "storage/sink_url.hpp"

namespace claimsync::node {

int cmd_migrate(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string migrations_dir;
  CommandLine cl("migrate", "claimsync migrate [--config FILE] [--migrations-dir DIR] [--json]",
                 "Applies the pending migrations to the membership database (sink.url), each in\n"
                 "a transaction, recorded with its sha256 in schema_migrations. The SQL is built\n"
                 "into the binary; --migrations-dir reads DIR/postgres or DIR/sqlite instead.\n"
                 "Exit status 1 when the database is unreachable, a migration fails, or an\n"
                 "already applied migration was changed.");
  add_common_options(cl.options, common);
  cl.options.add_options()(
      "migrations-dir", po::value(&migrations_dir)->value_name("DIR"),
      "read migrations from DIR/postgres or DIR/sqlite instead of the built-in ones");
  if (auto exit = parse_command_line(cl, args)) return *exit;
  std::optional<Config> config = open_config(cl.name, common.config_path);
  if (!config) return kExitUsage;

  auto url = store::parse_sink_url(config->sink.url);
  if (!url.ok()) return usage_error(cl.name, "sink.url: " + url.status().message());
  auto report = store::migrate_database(config->sink.url, migrations_dir);
  if (!report.ok()) {
    log_error("migrate_failed",
              {{"error", report.status().to_string()},
               {"next", report.status().is_transient()
                            ? "check that the database in sink.url is up and reachable, then rerun"
                            : "fix the cause named in the error, then rerun claimsync migrate"}});
    std::cerr << "claimsync migrate: " << report.status().to_string() << "\n";
    return kExitFailure;
  }
  const char* dialect = store::sql_dialect_name(url->dialect);
  if (common.json) {
    print_json({{"database", dialect},
                {"applied", report->applied},
                {"schema_version", report->schema_version}});
  } else {
    for (const auto& name : report->applied) std::cout << "applied " << name << "\n";
    std::cout << dialect << " schema at version " << report->schema_version
              << (report->applied.empty() ? " (up to date)" : "") << "\n";
  }
  return kExitOk;
}

}  // namespace claimsync::node
