// `claimsync config check`: validates a config file and prints the effective
// configuration (defaults filled in, environment overrides applied, secrets masked).
#include <iostream>
#include <sstream>

#include <toml++/toml.h>

#include "node/cli_common.hpp"

namespace claimsync::node {
namespace {

// The rendered TOML as JSON: one source of truth for what "effective config" contains.
nlohmann::json to_json(const std::string& rendered_toml) {
  std::ostringstream out;
  out << toml::json_formatter(toml::parse(rendered_toml));
  return nlohmann::json::parse(out.str());
}

int cmd_config_check(const std::vector<std::string>& args) {
  CommonOptions common;
  CommandLine cl("config check", "claimsync config check [--config FILE] [--json]",
                 "Validates the config file and prints the effective configuration (defaults\n"
                 "filled in, environment overrides applied, passwords masked). Exit status 2\n"
                 "and one line per problem (file:line: key ...: what) when it is invalid.");
  add_common_options(cl.options, common);
  if (auto exit = parse_command_line(cl, args)) return *exit;
  std::optional<Config> config = open_config(cl.name, common.config_path);
  if (!config) return kExitUsage;
  const std::string rendered = render_config(*config);
  if (common.json) {
    print_json(to_json(rendered));
  } else {
    std::cout << rendered;
  }
  return kExitOk;
}

}  // namespace

int cmd_config(const std::vector<std::string>& args) {
  static const std::vector<Command> subcommands = {
      {"check", "validate a config file and print the effective configuration", cmd_config_check},
  };
  return run_subcommand("config", subcommands, args);
}

}  // namespace claimsync::node
