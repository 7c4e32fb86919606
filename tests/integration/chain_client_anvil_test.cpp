// Integration: the JSON-RPC chain client against a real anvil with ClaimNFT deployed.
#include <catch2/catch.hpp>

#include "tests/support/anvil.hpp"

using claimsync::testing::Anvil;

TEST_CASE("anvil harness: deploy, mint, batch, transfer, burn, revert, reorg") {
  Anvil chain;
  std::string nft = chain.deploy_claim_nft();
  REQUIRE(nft.size() == 42);
  std::string wallet = chain.account(1);

  auto r1 = chain.receipt(chain.mint(nft, wallet, 3, 2));
  CHECK(r1["status"] == "0x1");
  auto r2 = chain.receipt(chain.mint_batch(nft, wallet, {1, 2, 5}, {1, 1, 4}));
  CHECK(r2["status"] == "0x1");
  CHECK(chain.balance_of(nft, wallet, 5) == 4);
  auto r3 = chain.receipt(chain.transfer(nft, 1, chain.account(2), 3, 1));
  CHECK(r3["status"] == "0x1");
  CHECK(chain.balance_of(nft, chain.account(2), 3) == 1);
  auto r4 = chain.receipt(chain.burn(nft, 1, 5, 1));
  CHECK(r4["status"] == "0x1");
  CHECK(chain.balance_of(nft, wallet, 5) == 3);
  auto r5 = chain.receipt(chain.mint_reverting(nft));
  CHECK(r5["status"] == "0x0");

  std::uint64_t head = chain.block_number();
  std::string old_hash = chain.block_hash(head);
  chain.reorg(2);
  CHECK(chain.block_number() == head);
  CHECK(chain.block_hash(head) != old_hash);
  CHECK(chain.balance_of(nft, wallet, 5) == 4);  // the burn (head - 1) is gone
}
