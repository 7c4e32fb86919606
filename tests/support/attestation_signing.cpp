#include "tests/support/attestation_signing.hpp"

#include <chrono>

namespace claimsync::testing {

using nlohmann::json;

json attestation_message(const std::string& minter, const std::string& referrer, std::uint64_t now,
                         std::uint8_t nonce_byte, std::int64_t ttl_s) {
  char nonce[3];
  std::snprintf(nonce, sizeof nonce, "%02x", nonce_byte);
  return {{"minter", minter},
          {"referrer", referrer},
          {"mintTx", "0x" + std::string(64, '0')},
          {"nonce", "0x" + std::string(62, '0') + nonce},
          {"issuedAt", std::to_string(now - 10)},
          {"expiresAt", std::to_string(static_cast<std::int64_t>(now) + ttl_s)}};
}

std::string anvil_sign_attestation(Anvil& chain, const std::string& signer, const json& message,
                                   const std::string& contract, std::uint64_t chain_id) {
  json m = message;
  m.erase("signature");
  m["issuedAt"] = std::stoull(m["issuedAt"].get<std::string>());
  m["expiresAt"] = std::stoull(m["expiresAt"].get<std::string>());
  json typed = {
      {"types",
       {{"EIP712Domain", json::array({{{"name", "name"}, {"type", "string"}},
                                      {{"name", "version"}, {"type", "string"}},
                                      {{"name", "chainId"}, {"type", "uint256"}},
                                      {{"name", "verifyingContract"}, {"type", "address"}}})},
        {"ReferralAttestation", json::array({{{"name", "minter"}, {"type", "address"}},
                                             {{"name", "referrer"}, {"type", "address"}},
                                             {{"name", "mintTx"}, {"type", "bytes32"}},
                                             {{"name", "nonce"}, {"type", "bytes32"}},
                                             {{"name", "issuedAt"}, {"type", "uint64"}},
                                             {{"name", "expiresAt"}, {"type", "uint64"}}})}}},
      {"primaryType", "ReferralAttestation"},
      {"domain",
       {{"name", "claimsync"},
        {"version", "1"},
        {"chainId", chain_id},
        {"verifyingContract", contract}}},
      {"message", m}};
  return chain.rpc("eth_signTypedData_v4", json::array({signer, typed})).get<std::string>();
}

std::uint64_t unix_now_s() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace claimsync::testing
