// Decoding of JSON-RPC results (blocks, logs, receipts) into claimsync types.
//
// Strict: a missing, null or malformed field the node relies on is kBadResponse naming
// the field, because the data came from a remote that may be broken or lying. Quantities
// are "0x" + 1..16 hex digits (leading zeros tolerated); hashes exactly 32 bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "rpc/chain_source.hpp"
#include "rpc/log_entry.hpp"
#include "rpc/status.hpp"

namespace claimsync::eth {

// "0x1a" -> 26: "0x"/"0X" + 1..16 hex digits; nullopt otherwise.
std::optional<std::uint64_t> parse_quantity(std::string_view text);
// A `data` field: "0x" + an even number of hex digits; nullopt otherwise.
std::optional<Bytes> parse_data(std::string_view text);

// "0x1a" -> 26 for obj[field]; kBadResponse when absent, null, not a string or > 64 bits.
Result<std::uint64_t> decode_quantity_field(const nlohmann::json& obj, std::string_view field);
Result<Hash32> decode_hash_field(const nlohmann::json& obj, std::string_view field);

// One log object (eth_getLogs result element or receipt.logs element). Requires address,
// topics (<= 4 hashes), data, blockNumber, blockHash, transactionHash, transactionIndex,
// logIndex; `removed` defaults to false.
Result<LogEntry> decode_log(const nlohmann::json& obj);

// eth_getBlockByNumber result (non-null): number, hash, parentHash, timestamp.
Result<BlockHeader> decode_header(const nlohmann::json& obj);

// eth_getTransactionReceipt result (non-null): transactionHash, blockHash, blockNumber,
// status ("0x1" / "0x0"), logs. Every log must carry the receipt's tx hash, block hash
// and block number.
Result<Receipt> decode_receipt(const nlohmann::json& obj);

// The JSON-RPC block parameter: "latest" / "safe" / "finalized" or a hex quantity.
std::string block_ref_param(const BlockRef& ref);

// "0x..." minimal hex of a number (JSON-RPC quantity).
std::string to_quantity(std::uint64_t v);

}  // namespace claimsync::eth
