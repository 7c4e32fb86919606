#include "tests/support/test_accounts.hpp"

#include <filesystem>
#include <stdexcept>

#include "rpc/abi.hpp"
#include "rpc/bytes.hpp"
#include "tests/support/process.hpp"

namespace claimsync::testing {

using nlohmann::json;

std::string test_contract_bytecode(const std::string& name) {
  const std::string dir = source_dir() + "/tests/contracts";
  const std::string bin = dir + "/build/" + name + ".bin";
  // Stale when any source is newer: a contract embeds the code of those it imports
  // (AccountFactory carries OwnedAccount's).
  bool stale = !std::filesystem::exists(bin);
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (stale) break;
    if (entry.path().extension() == ".sol" &&
        std::filesystem::last_write_time(entry.path()) > std::filesystem::last_write_time(bin))
      stale = true;
  }
  if (stale) {
    auto r = run_command({source_dir() + "/scripts/build-contracts"},
                         std::chrono::milliseconds(180'000));
    if (r.exit_code != 0) throw std::runtime_error("scripts/build-contracts failed: " + r.output);
  }
  std::string code = read_file(bin);
  while (!code.empty() && (code.back() == '\n' || code.back() == '\r')) code.pop_back();
  if (code.empty()) throw std::runtime_error(bin + " is empty");
  return "0x" + code;
}

std::string deploy_contract(Anvil& chain, const std::string& bytecode) {
  json r = chain.receipt(chain.send_transaction(
      {{"from", chain.account(0)}, {"data", bytecode}, {"gas", "0x4c4b40"}}));
  if (r.value("status", "") != "0x1") throw std::runtime_error("deployment reverted");
  return r["contractAddress"].get<std::string>();
}

TestAccounts::TestAccounts(Anvil& chain)
    : chain_(chain), factory_(deploy_contract(chain, test_contract_bytecode("AccountFactory"))) {}

std::string TestAccounts::deploy_calldata(const std::string& owner, std::uint64_t salt) {
  static const auto selector = eth::abi::function_selector("deploy(address,bytes32)");
  eth::abi::Value args[] = {eth::Address::parse(owner).value(),
                            eth::Hash32(eth::U256(salt).to_word())};
  return eth::to_hex(eth::abi::encode_call(selector, args));
}

std::string TestAccounts::predict(const std::string& owner, std::uint64_t salt) {
  std::string word =
      chain_
          .rpc("eth_call",
               json::array({{{"to", factory_}, {"data", deploy_calldata(owner, salt)}}, "latest"}))
          .get<std::string>();
  return "0x" + word.substr(word.size() - 40);
}

std::string TestAccounts::deploy(const std::string& owner, std::uint64_t salt) {
  std::string account = predict(owner, salt);
  json r = chain_.receipt(chain_.send_transaction({{"from", chain_.account(0)},
                                                   {"to", factory_},
                                                   {"data", deploy_calldata(owner, salt)},
                                                   {"gas", "0x1e8480"}}));
  if (r.value("status", "") != "0x1") throw std::runtime_error("account deployment reverted");
  if (chain_.rpc("eth_getCode", json::array({account, "latest"})).get<std::string>() == "0x")
    throw std::runtime_error("no code at the predicted account address");
  return account;
}

std::string TestAccounts::wrap_6492(const std::string& calldata, const std::string& inner) const {
  eth::abi::Value args[] = {eth::Address::parse(factory_).value(), *eth::from_hex(calldata),
                            *eth::from_hex(inner)};
  eth::Bytes out = eth::abi::encode_args(args);
  for (int i = 0; i < 16; ++i) {
    out.push_back(0x64);
    out.push_back(0x92);
  }
  return eth::to_hex(out);
}

}  // namespace claimsync::testing
