#include "tests/support/load_generator.hpp"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "rpc/abi.hpp"
#include "rpc/address.hpp"
#include "rpc/bytes.hpp"
#include "rpc/uint256.hpp"

namespace claimsync::testing {
namespace {

namespace abi = eth::abi;
using nlohmann::json;
using Items = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

constexpr std::size_t kMaxBatch = 100;   // calls per JSON-RPC batch
constexpr std::size_t kRecentWaves = 8;  // waves a reorg (depth <= ~8 blocks) may reach
const std::vector<std::uint64_t> kNonLevelIds = {0, 20, 31, 1000};
const char* kHolderEth = "0x3635c9adc5dea00000";  // 1000 ETH

eth::Address address(const std::string& text) {
  auto a = eth::Address::parse(text);
  if (!a) throw std::runtime_error("load: bad address " + text);
  return *a;
}

std::vector<eth::U256> ids_of(const Items& items) {
  std::vector<eth::U256> out;
  for (const auto& [id, amount] : items) out.emplace_back(id);
  return out;
}

std::vector<eth::U256> amounts_of(const Items& items) {
  std::vector<eth::U256> out;
  for (const auto& [id, amount] : items) out.emplace_back(amount);
  return out;
}

// A call whose last parameter is an empty `bytes`: encode the other arguments with a
// placeholder head word, then point it at the end of the encoding and append length 0.
eth::Bytes call_with_empty_bytes(const char* signature, std::vector<abi::Value> args) {
  args.emplace_back(eth::U256(0));
  eth::Bytes encoded = abi::encode_args(args);
  const std::size_t slot = (args.size() - 1) * abi::kWordSize;
  const auto offset = abi::encode_word(eth::U256(encoded.size()));
  std::copy(offset.begin(), offset.end(), encoded.begin() + static_cast<std::ptrdiff_t>(slot));
  const auto zero = abi::encode_word(eth::U256(0));
  encoded.insert(encoded.end(), zero.begin(), zero.end());
  const abi::Selector selector = abi::function_selector(signature);
  encoded.insert(encoded.begin(), selector.begin(), selector.end());
  return encoded;
}

json contract_call(const std::string& contract, const std::string& from, const eth::Bytes& data,
                   std::uint64_t gas) {
  return {
      {"from", from}, {"to", contract}, {"data", eth::to_hex(data)}, {"gas", u64_to_quantity(gas)}};
}

std::uint64_t batch_gas(std::size_t n) { return 100'000 + 60'000 * n; }

template <typename T>
std::vector<std::vector<T>> chunks(const std::vector<T>& v, std::size_t size) {
  std::vector<std::vector<T>> out;
  for (std::size_t i = 0; i < v.size(); i += size) {
    out.emplace_back(v.begin() + static_cast<std::ptrdiff_t>(i),
                     v.begin() + static_cast<std::ptrdiff_t>(std::min(v.size(), i + size)));
  }
  return out;
}

}  // namespace

LoadGenerator::LoadGenerator(Anvil& chain, std::string contract, const LoadOptions& options)
    : chain_(chain),
      rpc_(chain.port()),
      contract_(std::move(contract)),
      options_(options),
      rng_(options.seed) {
  if (options_.holders > options_.wallets) throw std::invalid_argument("load: holders > wallets");
  for (std::size_t i = 0; i < options_.wallets; ++i) wallets_.push_back(random_address());
  for (std::size_t i = 0; i < options_.transfer_only; ++i)
    transfer_only_.push_back(random_address());
}

void LoadGenerator::prepare() {
  std::vector<RawRpc::Call> calls;
  for (std::size_t i = 0; i < options_.holders; ++i) {
    calls.push_back({"anvil_setBalance", json::array({wallets_[i], kHolderEth})});
  }
  rpc_.batch(calls);
}

std::uint64_t LoadGenerator::uniform(std::uint64_t lo, std::uint64_t hi) {
  return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng_);
}

std::uint64_t LoadGenerator::random_level() { return uniform(1, options_.max_level); }

std::string LoadGenerator::random_address() {
  eth::Bytes raw(20);
  for (auto& b : raw) b = static_cast<std::uint8_t>(uniform(0, 255));
  raw[0] |= 0x10;  // never the zero address nor a precompile
  return eth::to_hex(raw);
}

std::string LoadGenerator::dev_account() {
  return chain_.account(uniform(0, chain_.accounts().size() - 1));
}

std::string LoadGenerator::pick_mint_recipient() {
  if (next_unvisited_ < wallets_.size()) return wallets_[next_unvisited_++];
  // Keep the holders stocked so transfers and burns stay possible.
  if (options_.holders > 0 && uniform(0, 3) == 0) return wallets_[uniform(0, options_.holders - 1)];
  return wallets_[uniform(0, wallets_.size() - 1)];
}

LoadGenerator::PlannedTx LoadGenerator::mint_tx(const std::string& from, const std::string& to,
                                                Items items) {
  PlannedTx p;
  p.kind = Kind::kMint;
  p.to = to;
  p.items = std::move(items);
  if (p.items.size() == 1) {
    const eth::Bytes data =
        abi::encode_call(abi::function_selector("mint(address,uint256,uint256)"),
                         {address(to), eth::U256(p.items[0].first), eth::U256(p.items[0].second)});
    p.tx = contract_call(contract_, from, data, 150'000);
  } else {
    const eth::Bytes data =
        abi::encode_call(abi::function_selector("mintBatch(address,uint256[],uint256[])"),
                         {address(to), ids_of(p.items), amounts_of(p.items)});
    p.tx = contract_call(contract_, from, data, batch_gas(p.items.size()));
  }
  return p;
}

LoadGenerator::PlannedTx LoadGenerator::plan_mint() {
  // Mostly dev accounts as the operator; sometimes a holder mints for someone else.
  const std::string from = (options_.holders > 0 && uniform(0, 9) == 0)
                               ? wallets_[uniform(0, options_.holders - 1)]
                               : dev_account();
  const auto amount = [&] { return uniform(1, 3); };
  const std::uint64_t r = uniform(0, 99);
  if (r < 40) {
    ++stats_.single_mints;
    return mint_tx(from, pick_mint_recipient(), {{random_level(), amount()}});
  }
  if (r < 64) {  // a batch of distinct levels
    ++stats_.batch_mints;
    std::set<std::uint64_t> levels;
    const std::uint64_t n = uniform(2, 6);
    while (levels.size() < n) levels.insert(random_level());
    Items items;
    for (auto level : levels) items.emplace_back(level, amount());
    std::shuffle(items.begin(), items.end(), rng_);
    return mint_tx(from, pick_mint_recipient(), items);
  }
  if (r < 70) {  // a batch that names the same level twice: two claims, one membership row
    ++stats_.batch_mints;
    ++stats_.batch_repeats_in_tx;
    const std::uint64_t a = random_level();
    return mint_tx(from, pick_mint_recipient(),
                   {{a, amount()}, {random_level(), amount()}, {a, amount()}});
  }
  if (r < 82 && !minted_pairs_.empty()) {  // the same wallet and level again, later
    ++stats_.repeated_levels;
    ++stats_.single_mints;
    const auto& [wallet, level] = minted_pairs_[uniform(0, minted_pairs_.size() - 1)];
    return mint_tx(from, wallet, {{level, amount()}});
  }
  if (r < 86) {  // token ids that are not levels: never a claim
    ++stats_.non_level_mints;
    const std::uint64_t odd = kNonLevelIds[uniform(0, kNonLevelIds.size() - 1)];
    if (uniform(0, 1) == 0) {
      ++stats_.single_mints;
      return mint_tx(from, pick_mint_recipient(), {{odd, amount()}});
    }
    ++stats_.batch_mints;
    return mint_tx(from, pick_mint_recipient(), {{random_level(), amount()}, {odd, amount()}});
  }
  ++stats_.single_mints;
  return mint_tx(from, pick_mint_recipient(), {{random_level(), amount()}});
}

bool LoadGenerator::plan_holder_move(PlannedTx& out) {
  std::vector<std::pair<std::string, std::uint64_t>> stocked;  // (holder, id) with a balance
  for (const auto& [key, amount] : held_) {
    if (amount > 0) stocked.push_back(key);
  }
  if (stocked.empty()) return false;
  const auto [holder, first_id] = stocked[uniform(0, stocked.size() - 1)];
  Items items = {{first_id, uniform(1, held_[{holder, first_id}])}};
  const std::uint64_t r = uniform(0, 99);
  if (r < 35) {
    ++stats_.burns;
    held_[{holder, first_id}] -= items[0].second;
    const eth::Bytes data =
        abi::encode_call(abi::function_selector("burn(address,uint256,uint256)"),
                         {address(holder), eth::U256(first_id), eth::U256(items[0].second)});
    out = PlannedTx{contract_call(contract_, holder, data, 120'000), Kind::kBurn, "", items};
    return true;
  }
  const std::uint64_t to_kind = uniform(0, 9);
  const std::string to = to_kind < 5   ? transfer_only_[uniform(0, transfer_only_.size() - 1)]
                         : to_kind < 8 ? wallets_[uniform(0, options_.holders - 1)]
                                       : wallets_[uniform(0, wallets_.size() - 1)];
  if (to == holder) return false;
  if (r < 55) {  // batch transfer: add up to two more ids this holder holds
    for (const auto& [key, amount] : held_) {
      if (items.size() >= 3) break;
      if (key.first == holder && key.second != first_id && amount > 0) {
        items.emplace_back(key.second, uniform(1, amount));
      }
    }
  }
  for (const auto& [id, amount] : items) held_[{holder, id}] -= amount;
  if (items.size() == 1) {
    ++stats_.transfers;
    const eth::Bytes data = call_with_empty_bytes(
        "safeTransferFrom(address,address,uint256,uint256,bytes)",
        {address(holder), address(to), eth::U256(first_id), eth::U256(items[0].second)});
    out = PlannedTx{contract_call(contract_, holder, data, 150'000), Kind::kTransfer, to, items};
  } else {
    ++stats_.batch_transfers;
    const eth::Bytes data =
        call_with_empty_bytes("safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)",
                              {address(holder), address(to), ids_of(items), amounts_of(items)});
    out = PlannedTx{contract_call(contract_, holder, data, batch_gas(items.size())),
                    Kind::kTransfer, to, items};
  }
  return true;
}

std::vector<LoadGenerator::PlannedTx> LoadGenerator::plan_wave() {
  std::vector<PlannedTx> wave;
  std::size_t claims = 0;
  while (claims < options_.claims_per_wave) {
    PlannedTx p;
    if (uniform(0, 99) < 15 && plan_holder_move(p)) {
      wave.push_back(std::move(p));
      continue;
    }
    p = plan_mint();
    for (const auto& [id, amount] : p.items) {
      if (id >= 1 && id <= options_.max_level) {
        ++claims;
        minted_pairs_.emplace_back(p.to, id);
      }
    }
    wave.push_back(std::move(p));
  }
  return wave;
}

std::vector<LoadGenerator::SentTx> LoadGenerator::send(std::vector<PlannedTx> txs) {
  // Explicit nonces: the batch may be processed in any order by anvil.
  std::map<std::string, std::uint64_t> nonce;
  for (const auto& p : txs) nonce[p.tx["from"].get<std::string>()] = 0;
  std::vector<RawRpc::Call> count_calls;
  for (const auto& [from, n] : nonce) {
    count_calls.push_back({"eth_getTransactionCount", json::array({from, "pending"})});
  }
  auto counts = rpc_.batch(count_calls);
  std::size_t i = 0;
  for (auto& [from, n] : nonce) n = quantity_to_u64(counts[i++]);

  std::vector<SentTx> sent;
  std::vector<RawRpc::Call> send_calls;
  for (auto& p : txs) {
    json tx = p.tx;
    tx["nonce"] = u64_to_quantity(nonce[tx["from"].get<std::string>()]++);
    send_calls.push_back({"eth_sendTransaction", json::array({tx})});
    sent.push_back(SentTx{std::move(p), "", stats_.waves});
  }
  std::size_t k = 0;
  for (const auto& chunk : chunks(send_calls, kMaxBatch)) {
    for (auto& hash : rpc_.batch(chunk)) sent[k++].hash = hash.get<std::string>();
  }
  stats_.txs_sent += sent.size();
  return sent;
}

void LoadGenerator::account_receipt(const SentTx& sent, const json& receipt) {
  stats_.last_block = std::max(stats_.last_block, quantity_to_u64(receipt["blockNumber"]));
  if (receipt.value("status", "") != "0x1") {
    ++stats_.txs_reverted;
    return;
  }
  ++stats_.txs_ok;
  const PlannedTx& p = sent.planned;
  const bool to_holder =
      std::find(wallets_.begin(), wallets_.begin() + static_cast<std::ptrdiff_t>(options_.holders),
                p.to) != wallets_.begin() + static_cast<std::ptrdiff_t>(options_.holders);
  for (const auto& [id, amount] : p.items) {
    if (p.kind == Kind::kMint && id >= 1 && id <= options_.max_level) ++stats_.level_claims_sent;
    if (p.kind != Kind::kBurn && to_holder) held_[{p.to, id}] += amount;
  }
}

void LoadGenerator::await_receipts(const std::vector<SentTx>& sent) {
  std::vector<const SentTx*> outstanding;
  for (const auto& s : sent) outstanding.push_back(&s);
  const auto deadline = std::chrono::steady_clock::now() + options_.receipt_timeout;
  while (!outstanding.empty()) {
    std::vector<const SentTx*> still;
    for (const auto& chunk : chunks(outstanding, kMaxBatch)) {
      std::vector<RawRpc::Call> calls;
      for (const auto* s : chunk)
        calls.push_back({"eth_getTransactionReceipt", json::array({s->hash})});
      auto receipts = rpc_.batch(calls);
      for (std::size_t i = 0; i < chunk.size(); ++i) {
        if (receipts[i].is_null()) {
          still.push_back(chunk[i]);
        } else {
          account_receipt(*chunk[i], receipts[i]);
        }
      }
    }
    outstanding = std::move(still);
    if (outstanding.empty()) break;
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("load: " + std::to_string(outstanding.size()) +
                               " txs not mined in time, e.g. " + outstanding.front()->hash +
                               "; txpool " + rpc_.call("txpool_status").dump());
    }
    // Poll interval of this deadline-bounded wait for receipts.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

void LoadGenerator::run_wave() {
  std::vector<PlannedTx> txs = std::move(resend_);
  resend_.clear();
  stats_.txs_resent += txs.size();
  for (auto& p : plan_wave()) txs.push_back(std::move(p));
  std::vector<SentTx> sent = send(std::move(txs));
  await_receipts(sent);
  ++stats_.waves;
  for (auto& s : sent) recent_.push_back(std::move(s));
  std::erase_if(recent_, [&](const SentTx& s) { return s.wave + kRecentWaves < stats_.waves; });
}

void LoadGenerator::reorg(std::uint64_t depth) {
  std::vector<Anvil::ReplayedTx> replacements;
  const std::uint64_t n = uniform(0, 2);
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::string to = wallets_[uniform(0, wallets_.size() - 1)];
    replacements.push_back(
        {mint_tx(dev_account(), to, {{random_level(), 1}}).tx, uniform(0, depth - 1)});
  }
  chain_.reorg(depth, replacements);
  ++stats_.reorgs;
  stats_.reorged_blocks += depth;
  stats_.replacement_mints += n;
  stats_.last_block = std::max(stats_.last_block, chain_.block_number());
  // The load txs of the replaced blocks are gone from the chain and the mempool.
  std::vector<RawRpc::Call> calls;
  for (const auto& s : recent_)
    calls.push_back({"eth_getTransactionReceipt", json::array({s.hash})});
  std::vector<json> receipts;
  for (const auto& chunk : chunks(calls, kMaxBatch)) {
    for (auto& r : rpc_.batch(chunk)) receipts.push_back(std::move(r));
  }
  std::vector<SentTx> kept;
  for (std::size_t i = 0; i < recent_.size(); ++i) {
    if (receipts[i].is_null()) {
      resend_.push_back(std::move(recent_[i].planned));
    } else {
      kept.push_back(std::move(recent_[i]));
    }
  }
  recent_ = std::move(kept);
}

}  // namespace claimsync::testing
