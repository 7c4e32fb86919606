// Smart accounts for attestation tests on anvil: tests/contracts/OwnedAccount.sol (EIP-1271:
// valid when its owner's ECDSA signature over the hash) behind the CREATE2 factory
// tests/contracts/AccountFactory.sol, so an account's address is known before it exists
// (the counterfactual ERC-6492 case).
//
//   TestAccounts accounts(chain);                    // deploys the factory
//   std::string a = accounts.predict(owner, 1);      // not deployed: ERC-6492
//   std::string b = accounts.deploy(owner, 2);       // deployed: EIP-1271
//   sig = accounts.wrap_6492(owner, 1, inner_sig);   // factory + deploy calldata + inner
//
// Failures (a revert, a missing build) throw std::runtime_error.
#pragma once

#include <cstdint>
#include <string>

#include "tests/support/anvil.hpp"

namespace claimsync::testing {

// 0x-hex creation bytecode of tests/contracts/<name>.sol, compiled by scripts/build-contracts
// (run when the .bin is missing or older than any .sol there).
std::string test_contract_bytecode(const std::string& name);
// Deploys `bytecode` from account 0; the contract's address.
std::string deploy_contract(Anvil& chain, const std::string& bytecode);

class TestAccounts {
 public:
  explicit TestAccounts(Anvil& chain);
  const std::string& factory() const { return factory_; }
  // factory.deploy(owner, salt) as calldata.
  static std::string deploy_calldata(const std::string& owner, std::uint64_t salt);
  // The address deploy(owner, salt) creates (an eth_call: nothing is sent).
  std::string predict(const std::string& owner, std::uint64_t salt);
  // Deploys it; its address.
  std::string deploy(const std::string& owner, std::uint64_t salt);
  // An ERC-6492 signature: abi.encode(factory, calldata, inner) ++ the 32-byte magic.
  std::string wrap_6492(const std::string& calldata, const std::string& inner) const;

 private:
  Anvil& chain_;
  std::string factory_;
};

}  // namespace claimsync::testing
