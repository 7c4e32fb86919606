// Solidity ABI encoding and decoding of the few shapes claimsync needs: static words
// (uint256, address, bytes32) and dynamic arrays of them (uint256[], address[]), as used by
// ERC-1155 events and `balanceOfBatch(address[],uint256[]) returns (uint256[])`, and
// dynamic `bytes` (encoding only: EIP-1271 / ERC-6492 signature arguments).
//
// Decoding is a pure function of its input: every offset, length and slice is checked
// against the buffer (with overflow-safe arithmetic) before it is read, so hostile or
// truncated data yields kCorruption, never a crash or an out-of-bounds read. Callers
// that received the data from a remote may re-label the error (e.g. kBadResponse).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "rpc/address.hpp"
#include "rpc/bytes.hpp"
#include "rpc/hash32.hpp"
#include "rpc/status.hpp"
#include "rpc/uint256.hpp"

namespace claimsync::eth::abi {

constexpr std::size_t kWordSize = 32;

using Selector = std::array<std::uint8_t, 4>;
using Word = std::array<std::uint8_t, kWordSize>;

// The first 4 bytes of keccak256(signature), e.g.
// function_selector("balanceOfBatch(address[],uint256[])") == {0x4e, 0x12, 0x73, 0xf4}.
// `signature` must be canonical (no spaces, no parameter names, uint256 not uint).
Selector function_selector(std::string_view signature);

// One argument of a call. Static values (uint256, address, bytes32) go in the head;
// arrays and `bytes` (Bytes) go in the tail with an offset in the head.
using Value = std::variant<U256, Address, std::vector<U256>, std::vector<Address>, Hash32, Bytes>;

Word encode_word(const U256& v);     // 32 big-endian bytes
Word encode_word(const Address& a);  // 12 zero bytes then the 20 address bytes

// ABI encoding of the argument tuple (head then tail), without selector.
Bytes encode_args(std::span<const Value> args);
// selector || encode_args(args): the `data` of an eth_call.
Bytes encode_call(const Selector& selector, std::span<const Value> args);
Bytes encode_call(const Selector& selector, std::initializer_list<Value> args);

// Reads the static word at head slot `index` (bytes [32*index, 32*index+32)).
Result<U256> decode_uint256(ByteView data, std::size_t index);
// As decode_uint256, and the word must be a left-zero-padded address.
Result<Address> decode_address(ByteView data, std::size_t index);

// Decodes the uint256[] whose offset is stored in head slot `index` of `data`:
// offset must be a multiple of 32 and inside `data`; length word must be followed by
// exactly that many words inside `data`; length must not exceed `max_len`.
Result<std::vector<U256>> decode_uint256_array_at(ByteView data, std::size_t index,
                                                  std::size_t max_len = SIZE_MAX);

// Decodes the return data of a function returning a single uint256[] (e.g.
// balanceOfBatch): decode_uint256_array_at(returndata, 0).
Result<std::vector<U256>> decode_uint256_array(ByteView returndata);

}  // namespace claimsync::eth::abi
