// Command: one `claimsync <name>` subcommand. Each lives in its own node/cmd_<name>.cpp,
// parses its own options with Boost.Program_options, and returns the process exit code
// (0 ok, 1 operational failure, 2 usage / bad input). Commands print machine-readable
// output with --json where they print data.
//
// A command appears in `claimsync --help` only once it works: it is added to the table in
// node/command_table.cpp (one line each) by whoever finishes it.
#pragma once

#include <string>
#include <vector>

namespace claimsync::node {

// `args` are the words after the command name, e.g. {"--config", "x.toml", "--json"}.
// Multi-word commands ("config check", "claims list") receive the words after the first.
using CommandFn = int (*)(const std::vector<std::string>& args);

struct Command {
  const char* name;     // "verify-tx"
  const char* summary;  // one line for --help
  CommandFn run;
};

// The table of working commands, in --help order.
const std::vector<Command>& command_table();

// Declarations of every command function (definitions in node/cmd_<name>.cpp).
int cmd_version(const std::vector<std::string>& args);
int cmd_config(const std::vector<std::string>& args);  // config check
int cmd_verify_tx(const std::vector<std::string>& args);
int cmd_migrate(const std::vector<std::string>& args);
int cmd_claims(const std::vector<std::string>& args);  // claims list/show/retry
int cmd_rescan(const std::vector<std::string>& args);
int cmd_run(const std::vector<std::string>& args);
int cmd_status(const std::vector<std::string>& args);
int cmd_reconcile(const std::vector<std::string>& args);

}  // namespace claimsync::node
