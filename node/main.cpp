// claimsync: the binary. Parses the top-level options, then hands the remaining words
// to the command named by the first one (node/command_table.cpp).
#include <algorithm>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "node/cli_common.hpp"
#include "node/did_you_mean.hpp"
#include "rpc/logging.hpp"

namespace claimsync::node {
namespace {

constexpr const char* kUsage = "Usage: claimsync [--help] [--version] <command> [options]";

void print_usage(std::ostream& out, const po::options_description& options) {
  out << "claimsync " << CLAIMSYNC_VERSION
      << ": keeps a membership database in sync with ERC-1155 mints on chain.\n\n"
      << kUsage << "\n\nCommands:\n"
      << format_command_list(command_table()) << "\n"
      << options << "\nRun 'claimsync <command> --help' for a command's options.\n";
}

int unknown_command(const std::string& name) {
  std::vector<std::string> names;
  for (const Command& c : command_table()) names.emplace_back(c.name);
  std::cerr << "claimsync: unknown command '" << name << "'";
  if (auto guess = did_you_mean(name, names)) std::cerr << " (did you mean '" << *guess << "'?)";
  std::cerr << "\nRun 'claimsync --help' for the list of commands.\n";
  return kExitUsage;
}

int run(const std::vector<std::string>& words) {
  // Options before the command are the binary's own; everything after belongs to it.
  const auto command_it = std::find_if(
      words.begin(), words.end(), [](const std::string& w) { return w.empty() || w[0] != '-'; });
  const std::vector<std::string> own(words.begin(), command_it);

  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("version", "print the version and exit");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(own).options(options).run(), vm);
  } catch (const po::error& e) {
    std::cerr << "claimsync: " << e.what() << "\nRun 'claimsync --help' for usage.\n";
    return kExitUsage;
  }
  if (vm.count("version") != 0) return cmd_version({});
  if (vm.count("help") != 0) {
    print_usage(std::cout, options);
    return kExitOk;
  }
  if (command_it == words.end()) {
    print_usage(std::cerr, options);
    return kExitUsage;
  }
  const auto& table = command_table();
  const auto cmd = std::find_if(table.begin(), table.end(),
                                [&](const Command& c) { return *command_it == c.name; });
  if (cmd == table.end()) return unknown_command(*command_it);
  return cmd->run(std::vector<std::string>(command_it + 1, words.end()));
}

}  // namespace
}  // namespace claimsync::node

int main(int argc, char** argv) {
#ifdef __GLIBC__
  // Two malloc arenas instead of glibc's 8 per core: the follower, the replicator, the
  // RPC and RocksDB threads each allocate and free megabytes per range, and every extra
  // arena keeps its own freed pages, so RSS grows with the number of threads that ever
  // allocated, not with what is in use (bench/RESULTS.md, 1M mints). Set before any
  // thread starts.
  mallopt(M_ARENA_MAX, 2);
  // Blocks of 1 MB and more (an eth_getLogs answer of ~7 MB per range, the range's logs
  // and claims, commit batches, RocksDB's memtable arena blocks) are mmapped and go back to
  // the OS when freed. By default glibc raises this threshold to the largest block freed
  // so far (up to 32 MB); then those blocks come from the heap, and their pages stay
  // resident until the next trim (30-80 MB of free heap between trims while the follower
  // ran, 5-11 MB with this; bench/RESULTS.md, session 7).
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
  try {
    return claimsync::node::run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    claimsync::log_error("internal_error", {{"error", e.what()},
                                            {"next", "this is a bug: report it with this line"}});
  } catch (...) {
    claimsync::log_error("internal_error", {{"error", "unknown exception"},
                                            {"next", "this is a bug: report it with this line"}});
  }
  return claimsync::node::kExitInternal;
}
