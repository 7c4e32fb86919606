// reconcile_pin (node/reconcile/reconcile_pin.hpp): --at parsing.
#include <catch2/catch.hpp>

#include "node/reconcile/reconcile_pin.hpp"

namespace claimsync::node {

TEST_CASE("reconcile --at: tags and block numbers", "[reconcile]") {
  CHECK(std::get<eth::BlockTag>(*parse_pin_at("finalized")) == eth::BlockTag::kFinalized);
  CHECK(std::get<eth::BlockTag>(*parse_pin_at("safe")) == eth::BlockTag::kSafe);
  CHECK(std::get<eth::BlockTag>(*parse_pin_at("latest")) == eth::BlockTag::kLatest);
  CHECK(std::get<std::uint64_t>(*parse_pin_at("12345")) == 12345);
  for (const char* bad : {"", "Finalized", "-1", "12x", "0x10", "pending"}) {
    INFO(bad);
    auto r = parse_pin_at(bad);
    REQUIRE(!r.ok());
    CHECK(r.status().code() == ErrorCode::kInvalidArgument);
  }
}

}  // namespace claimsync::node
