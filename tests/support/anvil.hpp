// Anvil: a real local chain for integration tests, started by the test itself.
//
//   claimsync::testing::Anvil chain;                       // auto-mining, 10 accounts
//   std::string nft = chain.deploy_claim_nft();           // tests/contracts/ClaimNFT.sol
//   std::string tx = chain.mint(nft, chain.account(1), 3, 1);
//   auto receipt = chain.receipt(tx);                      // JSON, status "0x1"
//   chain.reorg(2);                                        // replace the last 2 blocks
//
// anvil runs on a free 127.0.0.1 port with its deterministic, unlocked dev accounts, so
// transactions are sent with eth_sendTransaction from account(i). Mining modes:
//   * default: every transaction is mined into its own block before the call returns;
//   * block_time_s: interval mining (helpers return the hash at once; use wait_receipt);
//   * no_mining: transactions stay pending until mine().
// Blocks tags: anvil reports safe = latest - 32 and finalized = latest - 64.
//
// Every helper throws std::runtime_error on failure (a broken test environment or a bug in
// the test); a test that expects an RPC error uses rpc_raw(). Every wait is bounded.
// The contract is compiled on first use by scripts/build-contracts if its build output is
// missing. Not thread-safe: use one Anvil per test thread (the chain itself may be read
// concurrently through its url()).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"

namespace claimsync::testing {

// Paths from the compile definitions (CLAIMSYNC_SOURCE_DIR, CLAIMSYNC_TOOLS_DIR).
std::string source_dir();    // the repository root
std::string anvil_binary();  // tools/node_modules/.bin/anvil
// Compiled ClaimNFT (runs scripts/build-contracts when missing). "0x..." creation code.
std::string claim_nft_bytecode();

struct AnvilOptions {
  std::optional<std::uint64_t> block_time_s;  // --block-time N (interval mining)
  // --block-time in milliseconds (e.g. 250 -> "0.25"); wins over block_time_s when set.
  std::optional<std::uint64_t> block_time_ms;
  bool no_mining = false;               // --no-mining: blocks only via mine()
  unsigned accounts = 10;               // -a N dev accounts
  std::uint64_t chain_id = 31337;       // --chain-id
  std::vector<std::string> extra_args;  // appended to the command line
  std::chrono::milliseconds start_timeout{30'000};
  // stop(): SIGTERM, then SIGKILL after this long (a large --dump-state needs longer).
  std::chrono::milliseconds stop_grace{3'000};
};

class Anvil {
 public:
  // Starts anvil and waits until it answers eth_chainId. Throws with the log tail on failure.
  explicit Anvil(const AnvilOptions& options = {});
  ~Anvil();  // stop()
  Anvil(const Anvil&) = delete;
  Anvil& operator=(const Anvil&) = delete;

  // Stops anvil (SIGTERM, then SIGKILL). Idempotent. The chain is lost.
  void stop();

  const std::string& url() const { return url_; }  // "http://127.0.0.1:PORT"
  unsigned short port() const { return port_; }
  std::uint64_t chain_id() const { return options_.chain_id; }
  const std::string& log_path() const { return log_path_; }

  // --- raw JSON-RPC -------------------------------------------------------------------
  // The `result` of a call; throws on transport failure or a JSON-RPC error object.
  nlohmann::json rpc(const std::string& method, nlohmann::json params = nlohmann::json::array());
  // The whole response object ({"result":..} or {"error":..}); throws only on transport.
  nlohmann::json rpc_raw(const std::string& method,
                         nlohmann::json params = nlohmann::json::array());

  // --- accounts and blocks ------------------------------------------------------------
  const std::vector<std::string>& accounts() const { return accounts_; }  // lower-case hex
  const std::string& account(std::size_t i) const;
  std::uint64_t block_number();
  // eth_getBlockByNumber(ref, false): ref is "latest"/"safe"/"finalized" or a number.
  nlohmann::json block(const std::string& tag);
  nlohmann::json block(std::uint64_t number);
  std::string block_hash(std::uint64_t number);

  // --- mining, snapshots, reorgs -------------------------------------------------------
  void mine(std::uint64_t blocks = 1);          // anvil_mine: includes pending transactions
  std::string snapshot();                       // evm_snapshot: an id for revert()
  void revert(const std::string& snapshot_id);  // evm_revert; throws if unknown
  // anvil_reorg: replaces the last `depth` blocks with new ones (new hashes). Each replayed
  // transaction is included `block_offset` blocks into the new branch (0 = the first).
  // Without transactions the new blocks are empty: every log in them disappears.
  struct ReplayedTx {
    nlohmann::json tx;  // an eth_sendTransaction object (from, to, data, gas, ...)
    std::uint64_t block_offset = 0;
  };
  void reorg(std::uint64_t depth, const std::vector<ReplayedTx>& replayed = {});

  // --- transactions ---------------------------------------------------------------------
  // eth_sendTransaction; returns the tx hash. With auto-mining, returns once it is mined.
  std::string send_transaction(const nlohmann::json& tx);
  // The receipt JSON, or null when the tx is unknown / not yet mined.
  nlohmann::json receipt(const std::string& tx_hash);
  // Waits until the tx is mined (interval mining); throws after `timeout`.
  nlohmann::json wait_receipt(const std::string& tx_hash, std::chrono::milliseconds timeout =
                                                              std::chrono::milliseconds(20'000));

  // --- ClaimNFT helpers (addresses are "0x..." strings; `from` is an account index) -----
  // Deploys ClaimNFT and returns its lower-case address. Mines when needed, whatever the mode.
  std::string deploy_claim_nft(std::size_t from = 0);
  // The tx objects the helpers send (useful for reorg replays); gas is explicit.
  nlohmann::json mint_tx(const std::string& contract, const std::string& to, std::uint64_t id,
                         std::uint64_t amount, std::size_t from = 0) const;
  nlohmann::json mint_batch_tx(const std::string& contract, const std::string& to,
                               const std::vector<std::uint64_t>& ids,
                               const std::vector<std::uint64_t>& amounts,
                               std::size_t from = 0) const;
  // mint(to, id, amount): TransferSingle from 0x0.
  std::string mint(const std::string& contract, const std::string& to, std::uint64_t id,
                   std::uint64_t amount, std::size_t from = 0);
  // mintBatch(to, ids, amounts): TransferBatch from 0x0.
  std::string mint_batch(const std::string& contract, const std::string& to,
                         const std::vector<std::uint64_t>& ids,
                         const std::vector<std::uint64_t>& amounts, std::size_t from = 0);
  // safeTransferFrom(account(from), to, id, amount, ""): a transfer, not a mint.
  std::string transfer(const std::string& contract, std::size_t from, const std::string& to,
                       std::uint64_t id, std::uint64_t amount);
  // burn(account(from), id, amount): TransferSingle to 0x0.
  std::string burn(const std::string& contract, std::size_t from, std::uint64_t id,
                   std::uint64_t amount);
  // mintReverting(): mined with status 0 (gas is explicit, so no estimation failure).
  std::string mint_reverting(const std::string& contract, std::size_t from = 0);
  // balanceOf(owner, id) via eth_call at latest.
  std::uint64_t balance_of(const std::string& contract, const std::string& owner, std::uint64_t id);

 private:
  nlohmann::json contract_tx(const std::string& contract, const std::string& data,
                             std::size_t from) const;

  AnvilOptions options_;
  unsigned short port_ = 0;
  std::string url_;
  std::unique_ptr<TempDir> dir_;
  std::string log_path_;
  ChildProcess process_;
  std::vector<std::string> accounts_;
  std::uint64_t next_id_ = 1;
};

}  // namespace claimsync::testing
