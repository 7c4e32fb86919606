#include "rpc/eip712.hpp"

#include <algorithm>

#include "rpc/keccak.hpp"

namespace claimsync::eth::eip712 {

const std::string_view kDomainType =
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";

Hash32 type_hash(std::string_view encoded_type) { return keccak256(encoded_type); }

Field field(const Address& a) { return abi::encode_word(a); }
Field field(const U256& v) { return abi::encode_word(v); }
Field field(const Hash32& h) { return h.bytes(); }
Field string_field(std::string_view s) { return keccak256(s).bytes(); }
Field bytes_field(ByteView b) { return keccak256(b).bytes(); }

Hash32 hash_struct(const Hash32& type_hash, std::initializer_list<Field> fields) {
  Bytes encoded(type_hash.bytes().begin(), type_hash.bytes().end());
  encoded.reserve(Hash32::kSize * (1 + fields.size()));
  for (const Field& f : fields) encoded.insert(encoded.end(), f.begin(), f.end());
  return keccak256(ByteView(encoded));
}

Hash32 domain_separator(const Domain& domain) {
  static const Hash32 kTypeHash = type_hash(kDomainType);
  return hash_struct(kTypeHash, {string_field(domain.name), string_field(domain.version),
                                 field(U256(domain.chain_id)), field(domain.verifying_contract)});
}

Hash32 digest(const Hash32& domain_separator, const Hash32& struct_hash) {
  Bytes message = {0x19, 0x01};
  message.insert(message.end(), domain_separator.bytes().begin(), domain_separator.bytes().end());
  message.insert(message.end(), struct_hash.bytes().begin(), struct_hash.bytes().end());
  return keccak256(ByteView(message));
}

}  // namespace claimsync::eth::eip712
