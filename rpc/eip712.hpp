// EIP-712 typed structured data hashing: the parts every typed message shares (the
// domain separator, the final digest, and the encoding of static and string fields).
//
//   auto type = eip712::type_hash("Mail(address from,string contents)");
//   Hash32 s = eip712::hash_struct(type, {eip712::field(from), eip712::string_field(text)});
//   Hash32 d = eip712::digest(eip712::domain_separator(domain), s);
//
// Only what claimsync signs is supported: static fields (address, uintN, bytes32) and
// dynamic string / bytes fields (hashed). Arrays and nested structs are not. Pure.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "rpc/abi.hpp"
#include "rpc/address.hpp"
#include "rpc/bytes.hpp"
#include "rpc/hash32.hpp"
#include "rpc/uint256.hpp"

namespace claimsync::eth::eip712 {

// The domain {name, version, chainId, verifyingContract} (no salt).
struct Domain {
  std::string name;
  std::string version;
  std::uint64_t chain_id = 0;
  Address verifying_contract;
};

// "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)".
extern const std::string_view kDomainType;

// keccak256 of the canonical type string (no spaces but between type and name).
Hash32 type_hash(std::string_view encoded_type);

// One 32-byte member of encodeData: static values left-padded (address, uint) or as is
// (bytes32); string and bytes values as keccak256 of their contents.
using Field = abi::Word;
Field field(const Address& a);
Field field(const U256& v);
Field field(const Hash32& h);
Field string_field(std::string_view s);
Field bytes_field(ByteView b);

// keccak256(type_hash || fields...): hashStruct of one message.
Hash32 hash_struct(const Hash32& type_hash, std::initializer_list<Field> fields);

// hashStruct(domain) under kDomainType.
Hash32 domain_separator(const Domain& domain);

// keccak256(0x19 0x01 || domain_separator || struct_hash): what the wallet signs.
Hash32 digest(const Hash32& domain_separator, const Hash32& struct_hash);

}  // namespace claimsync::eth::eip712
