#include "rpc/eip191.hpp"

#include <string>

#include "rpc/ecrecover.hpp"
#include "rpc/keccak.hpp"

namespace claimsync::eth {

Hash32 personal_message_hash(std::string_view message) {
  std::string prefixed =
      "\x19"
      "Ethereum Signed Message:\n" +
      std::to_string(message.size());
  prefixed.append(message);
  return keccak256(std::string_view(prefixed));
}

Result<Address> recover_personal_sign(std::string_view message, ByteView signature) {
  return recover_address(personal_message_hash(message), signature);
}

}  // namespace claimsync::eth
