// The table of working `claimsync` commands, in --help order. Add one line when a
// command works (its function is declared in node/command.hpp).
#include "node/command.hpp"

namespace claimsync::node {

const std::vector<Command>& command_table() {
  static const std::vector<Command> table = {
      {"version", "print the claimsync version", cmd_version},
      {"config", "check a config file and print the effective configuration", cmd_config},
      {"run", "run the node: follow the chain and replicate claims until stopped", cmd_run},
      {"status", "show progress, holes, claims by state and errors (running or stopped)",
       cmd_status},
      {"claims", "list, show and retry claims of the outbox (offline)", cmd_claims},
      {"migrate", "apply pending SQL migrations to the membership database", cmd_migrate},
      {"verify-tx", "show the mints a transaction holds, read from the chain", cmd_verify_tx},
      {"rescan", "scan a block range again and report claims found/new/known", cmd_rescan},
      {"reconcile", "audit the database against the chain at a pinned block (offline)",
       cmd_reconcile},
  };
  return table;
}

}  // namespace claimsync::node
