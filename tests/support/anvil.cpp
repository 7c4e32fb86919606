#include "tests/support/anvil.hpp"

#include <httplib.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "rpc/abi.hpp"
#include "rpc/address.hpp"
#include "rpc/bytes.hpp"
#include "rpc/uint256.hpp"

namespace claimsync::testing {
namespace {

namespace abi = eth::abi;
using nlohmann::json;

constexpr std::uint64_t kTxGas = 500'000;  // explicit: skips estimation (reverts must mine)

std::string last_lines(const std::string& text, std::size_t max_chars = 2000) {
  return text.size() <= max_chars ? text : text.substr(text.size() - max_chars);
}

eth::Address parse_address(const std::string& text) {
  auto a = eth::Address::parse(text);
  if (!a)
    throw std::runtime_error("anvil harness: bad address " + text + ": " + a.status().to_string());
  return *a;
}

std::string quantity(std::uint64_t v) { return eth::U256(v).to_quantity(); }

std::uint64_t parse_quantity(const json& v) {
  auto q = eth::U256::from_quantity(v.get<std::string>());
  if (!q || !q->fits_u64()) throw std::runtime_error("anvil harness: bad quantity " + v.dump());
  return *q->to_u64();
}

std::vector<eth::U256> to_u256s(const std::vector<std::uint64_t>& v) {
  return {v.begin(), v.end()};
}

std::string calldata(const char* signature, std::initializer_list<abi::Value> args) {
  return eth::to_hex(abi::encode_call(abi::function_selector(signature), args));
}

}  // namespace

std::string source_dir() { return CLAIMSYNC_SOURCE_DIR; }

std::string anvil_binary() { return std::string(CLAIMSYNC_TOOLS_DIR) + "/.bin/anvil"; }

std::string claim_nft_bytecode() {
  const std::string bin = source_dir() + "/tests/contracts/build/ClaimNFT.bin";
  if (!std::filesystem::exists(bin)) {
    RunResult r = run_command({source_dir() + "/scripts/build-contracts"},
                              std::chrono::milliseconds(120'000));
    if (r.exit_code != 0)
      throw std::runtime_error("scripts/build-contracts failed: " + last_lines(r.output));
  }
  std::string code = read_file(bin);
  while (!code.empty() && (code.back() == '\n' || code.back() == '\r')) code.pop_back();
  if (code.empty()) throw std::runtime_error("empty contract build output " + bin);
  return code.rfind("0x", 0) == 0 ? code : "0x" + code;
}

Anvil::Anvil(const AnvilOptions& options) : options_(options) {
  dir_ = std::make_unique<TempDir>("claimsync-anvil");
  log_path_ = dir_->file("anvil.log");
  // The free port may be taken between probing and binding: try a few ports.
  constexpr int kAttempts = 3;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    port_ = free_loopback_port();
    url_ = "http://127.0.0.1:" + std::to_string(port_);
    std::vector<std::string> argv = {anvil_binary(),
                                     "--host",
                                     "127.0.0.1",
                                     "--port",
                                     std::to_string(port_),
                                     "-a",
                                     std::to_string(options_.accounts),
                                     "--chain-id",
                                     std::to_string(options_.chain_id)};
    if (options_.block_time_ms) {
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%.3f",
                    static_cast<double>(*options_.block_time_ms) / 1000.0);
      argv.insert(argv.end(), {"--block-time", seconds});
    } else if (options_.block_time_s) {
      argv.insert(argv.end(), {"--block-time", std::to_string(*options_.block_time_s)});
    }
    if (options_.no_mining) argv.push_back("--no-mining");
    argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
    SpawnOptions spawn;
    spawn.output_file = log_path_;
    process_ = ChildProcess::spawn(argv, spawn);
    bool up = wait_until(
        [&] {
          if (!process_.running()) return true;  // stop waiting: it died
          try {
            return rpc_raw("eth_chainId").contains("result");
          } catch (const std::exception&) {
            return false;
          }
        },
        options_.start_timeout, std::chrono::milliseconds(50));
    if (up && process_.running()) break;
    process_.stop(std::chrono::milliseconds(1000));
    if (attempt == kAttempts) {
      throw std::runtime_error("anvil did not start on " + url_ + "; log:\n" +
                               last_lines(read_file(log_path_)));
    }
  }
  for (const auto& a : rpc("eth_accounts")) accounts_.push_back(a.get<std::string>());
  if (accounts_.size() != options_.accounts)
    throw std::runtime_error("anvil reported " + std::to_string(accounts_.size()) + " accounts");
}

Anvil::~Anvil() { stop(); }

void Anvil::stop() {
  if (process_.pid() > 0 && process_.running()) process_.stop(options_.stop_grace);
}

json Anvil::rpc_raw(const std::string& method, json params) {
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(std::chrono::seconds(2));
  // Mining a block of 10,000 mints on a large state takes over 20 s on a loaded 2-core
  // machine (the 1M fill died at block ~65 with a read timeout at load 8).
  client.set_read_timeout(std::chrono::seconds(120));
  client.set_write_timeout(std::chrono::seconds(5));
  json request = {
      {"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", method}, {"params", std::move(params)}};
  auto res = client.Post("/", request.dump(), "application/json");
  if (!res) {
    throw std::runtime_error("anvil " + method + ": transport error " +
                             httplib::to_string(res.error()));
  }
  if (res->status != 200)
    throw std::runtime_error("anvil " + method + ": HTTP " + std::to_string(res->status) + " " +
                             res->body);
  return json::parse(res->body);
}

json Anvil::rpc(const std::string& method, json params) {
  json response = rpc_raw(method, std::move(params));
  if (response.contains("error"))
    throw std::runtime_error("anvil " + method + ": " + response["error"].dump());
  return response["result"];
}

const std::string& Anvil::account(std::size_t i) const {
  if (i >= accounts_.size()) throw std::out_of_range("anvil account index " + std::to_string(i));
  return accounts_[i];
}

std::uint64_t Anvil::block_number() { return parse_quantity(rpc("eth_blockNumber")); }

json Anvil::block(const std::string& tag) { return rpc("eth_getBlockByNumber", {tag, false}); }

json Anvil::block(std::uint64_t number) { return block(quantity(number)); }

std::string Anvil::block_hash(std::uint64_t number) {
  json b = block(number);
  if (b.is_null()) throw std::runtime_error("anvil: no block " + std::to_string(number));
  return b["hash"].get<std::string>();
}

void Anvil::mine(std::uint64_t blocks) { rpc("anvil_mine", {quantity(blocks)}); }

std::string Anvil::snapshot() { return rpc("evm_snapshot").get<std::string>(); }

void Anvil::revert(const std::string& snapshot_id) {
  if (!rpc("evm_revert", {snapshot_id}).get<bool>())
    throw std::runtime_error("anvil: unknown snapshot " + snapshot_id);
}

void Anvil::reorg(std::uint64_t depth, const std::vector<ReplayedTx>& replayed) {
  json pairs = json::array();
  for (const auto& r : replayed) pairs.push_back({r.tx, r.block_offset});
  rpc("anvil_reorg", {depth, pairs});
}

std::string Anvil::send_transaction(const json& tx) {
  std::string hash = rpc("eth_sendTransaction", {tx}).get<std::string>();
  // anvil answers before its auto-miner has sealed the block: wait, so that the block
  // number read next includes this transaction.
  if (!options_.no_mining && !options_.block_time_s && !options_.block_time_ms) wait_receipt(hash);
  return hash;
}

json Anvil::receipt(const std::string& tx_hash) {
  return rpc("eth_getTransactionReceipt", {tx_hash});
}

json Anvil::wait_receipt(const std::string& tx_hash, std::chrono::milliseconds timeout) {
  json r;
  bool mined = wait_until([&] { return !(r = receipt(tx_hash)).is_null(); }, timeout,
                          std::chrono::milliseconds(5));
  if (!mined) throw std::runtime_error("anvil: tx " + tx_hash + " not mined in time");
  return r;
}

std::string Anvil::deploy_claim_nft(std::size_t from) {
  json tx = {{"from", account(from)}, {"data", claim_nft_bytecode()}, {"gas", quantity(5'000'000)}};
  std::string hash = send_transaction(tx);
  json r = receipt(hash);
  if (r.is_null() && !options_.block_time_s && !options_.block_time_ms) {
    mine();
    r = receipt(hash);
  }
  if (r.is_null()) r = wait_receipt(hash);
  if (r.value("status", "") != "0x1")
    throw std::runtime_error("ClaimNFT deploy failed: " + r.dump());
  return r["contractAddress"].get<std::string>();
}

json Anvil::contract_tx(const std::string& contract, const std::string& data,
                        std::size_t from) const {
  return {{"from", account(from)}, {"to", contract}, {"data", data}, {"gas", quantity(kTxGas)}};
}

json Anvil::mint_tx(const std::string& contract, const std::string& to, std::uint64_t id,
                    std::uint64_t amount, std::size_t from) const {
  return contract_tx(contract,
                     calldata("mint(address,uint256,uint256)",
                              {parse_address(to), eth::U256(id), eth::U256(amount)}),
                     from);
}

json Anvil::mint_batch_tx(const std::string& contract, const std::string& to,
                          const std::vector<std::uint64_t>& ids,
                          const std::vector<std::uint64_t>& amounts, std::size_t from) const {
  return contract_tx(contract,
                     calldata("mintBatch(address,uint256[],uint256[])",
                              {parse_address(to), to_u256s(ids), to_u256s(amounts)}),
                     from);
}

std::string Anvil::mint(const std::string& contract, const std::string& to, std::uint64_t id,
                        std::uint64_t amount, std::size_t from) {
  return send_transaction(mint_tx(contract, to, id, amount, from));
}

std::string Anvil::mint_batch(const std::string& contract, const std::string& to,
                              const std::vector<std::uint64_t>& ids,
                              const std::vector<std::uint64_t>& amounts, std::size_t from) {
  return send_transaction(mint_batch_tx(contract, to, ids, amounts, from));
}

std::string Anvil::transfer(const std::string& contract, std::size_t from, const std::string& to,
                            std::uint64_t id, std::uint64_t amount) {
  // safeTransferFrom(address,address,uint256,uint256,bytes) with empty bytes: the four
  // static words, then the offset of `bytes` (5 words = 0xa0) and its zero length.
  eth::Bytes data = abi::encode_call(
      abi::function_selector("safeTransferFrom(address,address,uint256,uint256,bytes)"),
      {parse_address(account(from)), parse_address(to), eth::U256(id), eth::U256(amount),
       eth::U256(5 * abi::kWordSize)});
  auto zero = abi::encode_word(eth::U256(0));
  data.insert(data.end(), zero.begin(), zero.end());
  return send_transaction(contract_tx(contract, eth::to_hex(data), from));
}

std::string Anvil::burn(const std::string& contract, std::size_t from, std::uint64_t id,
                        std::uint64_t amount) {
  return send_transaction(
      contract_tx(contract,
                  calldata("burn(address,uint256,uint256)",
                           {parse_address(account(from)), eth::U256(id), eth::U256(amount)}),
                  from));
}

std::string Anvil::mint_reverting(const std::string& contract, std::size_t from) {
  return send_transaction(contract_tx(contract, calldata("mintReverting()", {}), from));
}

std::uint64_t Anvil::balance_of(const std::string& contract, const std::string& owner,
                                std::uint64_t id) {
  json call = {
      {"to", contract},
      {"data", calldata("balanceOf(address,uint256)", {parse_address(owner), eth::U256(id)})}};
  auto bytes = eth::from_hex(rpc("eth_call", {call, "latest"}).get<std::string>());
  if (!bytes) throw std::runtime_error("anvil: bad eth_call result");
  auto v = abi::decode_uint256(*bytes, 0);
  if (!v || !v->fits_u64()) throw std::runtime_error("anvil: bad balanceOf result");
  return *v->to_u64();
}

}  // namespace claimsync::testing
