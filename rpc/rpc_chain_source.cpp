#include "rpc/rpc_chain_source.hpp"

#include <algorithm>

#include "rpc/abi.hpp"
#include "rpc/bytes.hpp"
#include "rpc/json_decode.hpp"

namespace claimsync::eth {
namespace {

using nlohmann::json;

// The reply's error as a Status, for calls where every JSON-RPC error is final.
Status reply_error(const RpcReply& reply, const char* method) {
  return rpc_error_status(*reply.error, RpcErrorKind::kPermanent).with_context(method);
}

Result<std::uint64_t> quantity_result(const json& result, const char* what) {
  return decode_quantity_field(json{{what, result}}, what);
}

RpcCall header_call(const BlockRef& ref) {
  return {"eth_getBlockByNumber", json::array({block_ref_param(ref), false})};
}

// Decodes a non-null block and checks it is the one asked for.
Result<BlockHeader> checked_header(const json& result, const BlockRef& ref) {
  auto h = decode_header(result);
  if (!h) return h.status().with_context("eth_getBlockByNumber");
  if (const auto* n = std::get_if<std::uint64_t>(&ref); n && h->number != *n) {
    return error(ErrorCode::kBadResponse, "asked for block " + std::to_string(*n) + ", got block " +
                                              std::to_string(h->number));
  }
  return h;
}

// A null block from an endpoint although some endpoint reported a head at or above it:
// this endpoint is behind (the pool fails over), not proof that the block is gone.
Status null_block(std::uint64_t number, std::uint64_t high_water) {
  if (number > high_water) return {};  // may not exist yet: the null is the answer
  return {ErrorCode::kNotFound, "block " + std::to_string(number) + " is not served, below the " +
                                    "high-water head " + std::to_string(high_water)};
}

// The eth_call of `data` (to `to`, or deployless without it) at `block`.
RpcCall eth_call(const std::optional<Address>& to, const Bytes& data, const BlockRef& block) {
  json tx = {{"data", to_hex(data)}};
  if (to) tx["to"] = to->lower_hex();
  return {"eth_call", json::array({std::move(tx), block_ref_param(block)})};
}

// The hex bytes of an eth_call result; kBadResponse when the endpoint sent something else.
Result<Bytes> call_result_bytes(const json& result) {
  if (!result.is_string())
    return Status(ErrorCode::kBadResponse, "eth_call result is not a string");
  auto bytes = from_hex(result.get<std::string>());
  if (!bytes) return Status(ErrorCode::kBadResponse, "eth_call result is not hex");
  return bytes;
}

// Revert data from a JSON-RPC error's `data` ("0x..." as geth and anvil send it), or empty.
Bytes revert_data(const RpcErrorObject& e) {
  if (e.data.size() < 4 || e.data.front() != '"') return {};
  auto bytes = from_hex(std::string_view(e.data).substr(1, e.data.size() - 2));
  return bytes ? std::move(*bytes) : Bytes{};
}

std::optional<std::uint64_t> header_number(const RpcReply& r) {
  if (!r.result.is_object()) return std::nullopt;
  auto n = decode_quantity_field(r.result, "number");
  if (!n) return std::nullopt;
  return *n;
}

}  // namespace

Result<std::unique_ptr<RpcChainSource>> RpcChainSource::create(const JsonRpcClientOptions& options,
                                                               Clock& clock, const StopFlag* stop) {
  if (options.balance_pairs_per_call == 0) {
    return error(ErrorCode::kInvalidArgument, "balance_pairs_per_call must be >= 1");
  }
  auto pool = EndpointPool::create(options, clock, stop);
  if (!pool) return pool.status();
  LogSpanPolicy span{options.logs_min_span, options.logs_max_span, options.logs_initial_span};
  return std::unique_ptr<RpcChainSource>(new RpcChainSource(std::move(*pool), span, clock, stop));
}

RpcChainSource::RpcChainSource(std::unique_ptr<EndpointPool> pool, LogSpanPolicy span, Clock& clock,
                               const StopFlag* stop)
    : pool_(std::move(pool)), span_(span), clock_(clock), stop_(stop) {}

Result<std::uint64_t> RpcChainSource::chain_id() {
  auto reply = pool_->call({"eth_chainId", json::array()});
  if (!reply) return reply.status();
  if (reply->error) return reply_error(*reply, "eth_chainId");
  return quantity_result(reply->result, "chainId");
}

Result<std::uint64_t> RpcChainSource::block_number() {
  CallOptions options;
  options.validate = [](std::size_t, const RpcReply& r) {
    return quantity_result(r.result, "blockNumber").status();
  };
  options.reported_head = [](const RpcReply& r) -> std::optional<std::uint64_t> {
    auto n = quantity_result(r.result, "blockNumber");
    if (!n) return std::nullopt;
    return *n;
  };
  auto reply = pool_->call({"eth_blockNumber", json::array()}, options);
  if (!reply) return reply.status();
  if (reply->error) return reply_error(*reply, "eth_blockNumber");
  return quantity_result(reply->result, "blockNumber");
}

Result<BlockHeader> RpcChainSource::header(BlockRef block) {
  auto headers_or = [&]() -> Result<std::vector<RpcReply>> {
    CallOptions options;
    const auto* number = std::get_if<std::uint64_t>(&block);
    options.validate = [&](std::size_t, const RpcReply& r) {
      if (!r.result.is_null()) return checked_header(r.result, block).status();
      return number ? null_block(*number, pool_->high_water_head()) : Status();
    };
    if (block == BlockRef(BlockTag::kLatest)) options.reported_head = header_number;
    return pool_->call_batch({header_call(block)}, options);
  }();
  if (!headers_or) return headers_or.status();
  const RpcReply& reply = (*headers_or)[0];
  if (reply.error) return reply_error(reply, "eth_getBlockByNumber");
  if (reply.result.is_null()) {
    return error(ErrorCode::kNotFound, "block " + block_ref_param(block) + " does not exist (yet)");
  }
  return checked_header(reply.result, block);
}

Result<std::vector<BlockHeader>> RpcChainSource::headers(
    const std::vector<std::uint64_t>& numbers) {
  std::vector<RpcCall> calls;
  calls.reserve(numbers.size());
  for (std::uint64_t n : numbers) calls.push_back(header_call(n));
  std::vector<std::optional<BlockHeader>> decoded(numbers.size());
  CallOptions options;
  const std::uint64_t high_water = pool_->high_water_head();
  options.validate = [&](std::size_t i, const RpcReply& r) {
    if (r.result.is_null()) return null_block(numbers[i], high_water);
    auto h = checked_header(r.result, numbers[i]);
    if (!h) return h.status();
    decoded[i] = *h;
    return Status();
  };
  auto replies = pool_->call_batch(calls, options);
  if (!replies) return replies.status();
  std::vector<BlockHeader> out;
  out.reserve(numbers.size());
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    const RpcReply& reply = (*replies)[i];
    if (reply.error) return reply_error(reply, "eth_getBlockByNumber");
    if (reply.result.is_null() || !decoded[i]) {
      return error(ErrorCode::kNotFound,
                   "block " + std::to_string(numbers[i]) + " does not exist (yet)");
    }
    out.push_back(*decoded[i]);
  }
  return out;
}

Result<std::vector<LogEntry>> RpcChainSource::logs(const LogFilter& filter) {
  return fetch_logs(*pool_, span_, filter, pool_->options().max_retries, clock_, stop_);
}

Result<std::optional<Receipt>> RpcChainSource::receipt(const Hash32& tx_hash) {
  std::optional<Receipt> decoded;
  CallOptions options;
  options.validate = [&](std::size_t, const RpcReply& r) {
    if (r.result.is_null()) return Status();
    auto receipt = decode_receipt(r.result);
    if (!receipt) return receipt.status().with_context("eth_getTransactionReceipt");
    if (receipt->tx_hash != tx_hash) {
      return Status(ErrorCode::kBadResponse, "asked for the receipt of " + tx_hash.hex() +
                                                 ", got " + receipt->tx_hash.hex());
    }
    decoded = std::move(*receipt);
    return Status();
  };
  auto reply = pool_->call({"eth_getTransactionReceipt", json::array({tx_hash.hex()})}, options);
  if (!reply) return reply.status();
  if (reply->error) return reply_error(*reply, "eth_getTransactionReceipt");
  if (reply->result.is_null()) return std::optional<Receipt>();
  return decoded;
}

Result<std::vector<U256>> RpcChainSource::balance_of_batch(const Address& contract,
                                                           const std::vector<Address>& owners,
                                                           const std::vector<U256>& ids,
                                                           BlockRef block) {
  if (owners.size() != ids.size()) {
    return error(ErrorCode::kInvalidArgument, "balance_of_batch: " + std::to_string(owners.size()) +
                                                  " owners but " + std::to_string(ids.size()) +
                                                  " ids");
  }
  static const abi::Selector selector =
      abi::function_selector("balanceOfBatch(address[],uint256[])");
  const std::size_t per_call = pool_->options().balance_pairs_per_call;
  std::vector<RpcCall> calls;
  std::vector<std::size_t> sizes;
  for (std::size_t start = 0; start < owners.size(); start += per_call) {
    const auto end = static_cast<std::ptrdiff_t>(std::min(owners.size(), start + per_call));
    const auto begin = static_cast<std::ptrdiff_t>(start);
    std::vector<Address> o(owners.begin() + begin, owners.begin() + end);
    std::vector<U256> i(ids.begin() + begin, ids.begin() + end);
    sizes.push_back(o.size());
    calls.push_back(
        eth_call(contract, abi::encode_call(selector, {std::move(o), std::move(i)}), block));
  }
  std::vector<std::vector<U256>> decoded(calls.size());
  CallOptions options;
  options.validate = [&](std::size_t c, const RpcReply& r) {
    auto bytes = call_result_bytes(r.result);
    if (!bytes) return bytes.status();
    if (bytes->empty()) {
      return Status(ErrorCode::kFailedPrecondition,
                    "balanceOfBatch returned nothing: no contract at " + contract.lower_hex() +
                        " at that block");
    }
    auto values = abi::decode_uint256_array(*bytes);
    if (!values)
      return Status(ErrorCode::kBadResponse, "balanceOfBatch result: " + values.status().message());
    if (values->size() != sizes[c]) {
      return Status(ErrorCode::kBadResponse, "balanceOfBatch returned " +
                                                 std::to_string(values->size()) + " balances for " +
                                                 std::to_string(sizes[c]) + " pairs");
    }
    decoded[c] = std::move(*values);
    return Status();
  };
  auto replies = pool_->call_batch(calls, options);
  if (!replies) return replies.status();
  std::vector<U256> out;
  out.reserve(owners.size());
  for (std::size_t c = 0; c < calls.size(); ++c) {
    if ((*replies)[c].error) return reply_error((*replies)[c], "eth_call balanceOfBatch");
    out.insert(out.end(), decoded[c].begin(), decoded[c].end());
  }
  return out;
}

Result<CallResult> RpcChainSource::call(const std::optional<Address>& to, const Bytes& data,
                                        BlockRef block) {
  CallOptions options;
  options.validate = [](std::size_t, const RpcReply& r) {
    return call_result_bytes(r.result).status();
  };
  auto reply = pool_->call(eth_call(to, data, block), options);
  if (!reply) return reply.status();
  if (reply->error) {
    // The pool retried rate limits and transient errors already; what is left is final.
    if (is_revert(*reply->error)) return CallResult{true, revert_data(*reply->error)};
    return reply_error(*reply, "eth_call");
  }
  auto bytes = call_result_bytes(reply->result);
  if (!bytes) return bytes.status();
  return CallResult{false, std::move(*bytes)};
}

}  // namespace claimsync::eth
