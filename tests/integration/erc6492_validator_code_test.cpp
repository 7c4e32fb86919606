// The validator creation code embedded in node/intake/erc6492_validator_code.cpp equals a
// fresh compile of contracts/Erc6492Validator.sol (scripts/gen-erc6492-validator --print,
// the pinned solc): the embedded copy cannot drift from its source.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "node/intake/erc6492_validator_code.hpp"
#include "rpc/bytes.hpp"
#include "tests/support/anvil.hpp"
#include "tests/support/process.hpp"

using namespace claimsync;

TEST_CASE("embedded ERC-6492 validator code equals a fresh solc compile", "[attestation]") {
  auto r = testing::run_command(
      {"node", testing::source_dir() + "/scripts/gen-erc6492-validator", "--print"},
      std::chrono::milliseconds(180'000));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  std::string fresh = r.output;
  while (!fresh.empty() && (fresh.back() == '\n' || fresh.back() == '\r')) fresh.pop_back();
  REQUIRE(fresh.size() > 100);
  INFO("run scripts/gen-erc6492-validator to regenerate the embedded copy");
  CHECK(eth::to_hex(node::kErc6492ValidatorCode) == fresh);
}
