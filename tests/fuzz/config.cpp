// Fuzz target: the config loader (node/config parse_config) on arbitrary TOML text.
// Contract: a Config or kInvalidArgument whose message names the source; an accepted
// config renders (render_config) without throwing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "node/config.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace claimsync;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = node::parse_config(text, "fuzz.toml");
  if (!config.ok()) {
    FUZZ_CHECK(config.status().code() == ErrorCode::kInvalidArgument,
               "config errors are kInvalidArgument");
    FUZZ_CHECK(config.status().message().find("fuzz.toml") != std::string::npos,
               "config errors name the file");
    return 0;
  }
  const std::string rendered = node::render_config(*config);
  FUZZ_CHECK(!rendered.empty(), "an accepted config renders");
  return 0;
}
