// `claimsync version`: which build this is (operators paste it into bug reports).
#include <iostream>

#include "node/cli_common.hpp"

namespace claimsync::node {
namespace {

#if defined(__clang__)
constexpr const char* kCompiler = "clang " __clang_version__;
#elif defined(__GNUC__)
constexpr const char* kCompiler = "gcc " __VERSION__;
#else
constexpr const char* kCompiler = "unknown";
#endif

}  // namespace

int cmd_version(const std::vector<std::string>& args) {
  bool json = false;
  CommandLine cl("version", "claimsync version [--json]", "Prints the claimsync version.");
  add_json_option(cl.options, json);
  if (auto exit = parse_command_line(cl, args)) return *exit;
  if (json) {
    print_json({{"name", "claimsync"}, {"version", CLAIMSYNC_VERSION}, {"compiler", kCompiler}});
  } else {
    std::cout << "claimsync version " << CLAIMSYNC_VERSION << "\n";
  }
  return kExitOk;
}

}  // namespace claimsync::node
