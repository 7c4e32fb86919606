// cli_common: what every `claimsync <command>` shares: exit codes, option parsing with
// --help and usage errors, the common --config / --json options, loading the config with
// a clear error, logging set-up, sub-command dispatch ("config check", "claims list") and
// printing JSON or aligned tables.
//
// A typical command:
//
//   int cmd_status(const std::vector<std::string>& args) {
//     CommonOptions common;
//     CommandLine cl("status", "claimsync status [--config FILE] [--json]",
//                    "Prints the node's progress and claim counters.");
//     add_common_options(cl.options, common);
//     if (auto exit = parse_command_line(cl, args)) return *exit;
//     auto config = open_config(cl.name, common.config_path);
//     if (!config) return kExitUsage;
//     ...
//     if (common.json) print_json(j); else print_fields({{"head", "123"}});
//     return kExitOk;
//   }
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "node/command.hpp"
#include "node/config.hpp"

namespace claimsync::node {

namespace po = boost::program_options;

inline constexpr int kExitOk = 0;       // done
inline constexpr int kExitFailure = 1;  // operational failure (remote down, claim not found, ...)
inline constexpr int kExitUsage = 2;    // bad command line or bad config: the operator must fix it
inline constexpr int kExitInternal = 70;  // a bug (EX_SOFTWARE)

// The command line of one command: its name for messages, a usage line, a paragraph of
// description, its options (--help is added by parse_command_line) and positionals.
struct CommandLine {
  CommandLine(std::string name, std::string usage, std::string description);
  std::string name;         // "config check"
  std::string usage;        // "claimsync config check [--config FILE] [--json]"
  std::string description;  // shown under the usage line by --help
  po::options_description options;
  po::positional_options_description positional;
  po::variables_map vm;  // filled by parse_command_line
};

// Options of commands that read the config.
struct CommonOptions {
  std::string config_path;  // --config FILE (default: $CLAIMSYNC_CONFIG, else ./claimsync.toml)
  bool json = false;        // --json: machine-readable output on stdout
};

// Adds --config FILE and --json, bound to `out`.
void add_common_options(po::options_description& options, CommonOptions& out);
// Adds only --json (for commands that need no config, like `version`).
void add_json_option(po::options_description& options, bool& json);

// Parses `args` into cl.vm (and bound variables). Returns nullopt to go on, or the exit
// code the command must return now: kExitOk after printing --help to stdout, kExitUsage
// after printing the error and a hint to stderr.
std::optional<int> parse_command_line(CommandLine& cl, const std::vector<std::string>& args);

// Prints "claimsync <command>: <message>" and a hint to run --help, to stderr; returns
// kExitUsage.
int usage_error(const std::string& command, const std::string& message);

// Loads and validates the config file, then sets up logging from it. On failure prints
// every problem (file:line: key ...: what) and what to do next to stderr and returns
// nullopt: the caller returns kExitUsage.
std::optional<Config> open_config(const std::string& command, const std::string& path);

// Applies log.level / log.format.
void setup_logging(const LogConfig& log);

// `claimsync <group> <sub> ...` for commands with sub-commands: runs the entry of
// `subcommands` named by args[0] with the remaining words. No sub-command or an unknown
// one is a usage error listing the choices; `--help` lists them and exits 0.
int run_subcommand(const std::string& group, const std::vector<Command>& subcommands,
                   const std::vector<std::string>& args);

// "  name    summary" lines, names padded to a common width.
std::string format_command_list(const std::vector<Command>& commands);

// JSON on stdout, indented by 2, with a final newline.
void print_json(const nlohmann::json& value);

// A plain-text table: a header row, then rows, columns left-aligned and padded to the
// widest cell, separated by two spaces. Rows shorter than the header are padded.
std::string format_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows);
void print_table(const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows);

// "key: value" lines with the values aligned (a record, e.g. one claim or the status).
std::string format_fields(const std::vector<std::pair<std::string, std::string>>& fields);
void print_fields(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace claimsync::node
