#include "tests/support/fake_chain.hpp"

#include <map>
#include <stdexcept>
#include <string>
#include <unordered_set>

#include "rpc/abi.hpp"
#include "rpc/erc1155.hpp"
#include "rpc/keccak.hpp"

namespace claimsync::testing {
namespace {

namespace abi = eth::abi;

void put_u64(eth::Bytes& out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

eth::Hash32 address_topic(const eth::Address& a) { return eth::Hash32(abi::encode_word(a)); }

eth::Hash32 tx_hash_of(const FakeTransfer& t, const eth::Hash32& block_hash, std::size_t index) {
  if (t.tx_id) return eth::keccak256("fake-tx:" + std::to_string(*t.tx_id));
  eth::Bytes seed(block_hash.bytes().begin(), block_hash.bytes().end());
  put_u64(seed, index);
  return eth::keccak256(eth::ByteView(seed));
}

eth::Bytes event_data(const FakeTransfer& t) {
  eth::Bytes data;
  if (t.batch) {
    std::vector<eth::U256> ids, values;
    for (const auto& [id, value] : t.items) {
      ids.emplace_back(id);
      values.emplace_back(value);
    }
    const abi::Value args[] = {ids, values};
    data = abi::encode_args(args);
  } else {
    if (t.items.size() != 1) throw std::logic_error("FakeTransfer: a single needs one item");
    for (const abi::Word& w : {abi::encode_word(eth::U256(t.items[0].first)),
                               abi::encode_word(eth::U256(t.items[0].second))}) {
      data.insert(data.end(), w.begin(), w.end());
    }
  }
  if (t.malformed && !data.empty()) data.pop_back();
  return data;
}

bool topics_match(const std::vector<std::vector<eth::Hash32>>& want,
                  const std::vector<eth::Hash32>& have) {
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i].empty()) continue;
    if (i >= have.size()) return false;
    bool any = false;
    for (const eth::Hash32& h : want[i]) any = any || h == have[i];
    if (!any) return false;
  }
  return true;
}

}  // namespace

FakeTransfer FakeTransfer::mint(const eth::Address& to, std::uint64_t id, std::uint64_t value) {
  FakeTransfer t;
  t.to = to;
  t.items = {{id, value}};
  return t;
}

FakeTransfer FakeTransfer::mint_batch(const eth::Address& to,
                                      std::vector<std::pair<std::uint64_t, std::uint64_t>> items) {
  FakeTransfer t;
  t.batch = true;
  t.to = to;
  t.items = std::move(items);
  return t;
}

FakeTransfer FakeTransfer::transfer(const eth::Address& from, const eth::Address& to,
                                    std::uint64_t id, std::uint64_t value) {
  FakeTransfer t = mint(to, id, value);
  t.from = from;
  return t;
}

eth::Address fake_wallet(std::uint64_t n) {
  std::array<std::uint8_t, eth::Address::kSize> bytes{};
  for (int i = 0; i < 8; ++i)
    bytes[eth::Address::kSize - 1 - i] = static_cast<std::uint8_t>(n >> (8 * i));
  return eth::Address(bytes);
}

FakeChain::FakeChain(std::uint64_t chain_id, eth::Address contract)
    : chain_id_(chain_id), contract_(contract) {
  std::lock_guard<std::mutex> lock(mu_);
  append_block_locked({});  // genesis
}

std::uint64_t FakeChain::head() const {
  std::lock_guard<std::mutex> lock(mu_);
  return blocks_.size() - 1;
}

void FakeChain::append_block_locked(std::vector<FakeTransfer> txs) {
  FakeBlock b;
  b.header.number = blocks_.size();
  b.header.parent_hash = blocks_.empty() ? eth::Hash32() : blocks_.back().header.hash;
  b.header.timestamp = 1'700'000'000 + 2 * b.header.number;
  eth::Bytes seed(b.header.parent_hash.bytes().begin(), b.header.parent_hash.bytes().end());
  put_u64(seed, b.header.number);
  put_u64(seed, ++salt_);
  b.header.hash = eth::keccak256(eth::ByteView(seed));
  b.txs = std::move(txs);
  blocks_.push_back(std::move(b));
}

std::uint64_t FakeChain::mine(std::vector<FakeTransfer> txs) {
  std::lock_guard<std::mutex> lock(mu_);
  append_block_locked(std::move(txs));
  return blocks_.size() - 1;
}

void FakeChain::mine_empty(std::uint64_t blocks) {
  std::lock_guard<std::mutex> lock(mu_);
  for (std::uint64_t i = 0; i < blocks; ++i) append_block_locked({});
}

void FakeChain::reorg(std::uint64_t depth,
                      const std::vector<std::vector<FakeTransfer>>& replacement) {
  std::lock_guard<std::mutex> lock(mu_);
  if (depth >= blocks_.size()) throw std::logic_error("FakeChain::reorg deeper than the chain");
  blocks_.resize(blocks_.size() - depth);
  for (const auto& txs : replacement) append_block_locked(txs);
}

void FakeChain::set_safe_lag(std::optional<std::uint64_t> lag) {
  std::lock_guard<std::mutex> lock(mu_);
  safe_lag_ = lag;
}

void FakeChain::set_finalized_lag(std::optional<std::uint64_t> lag) {
  std::lock_guard<std::mutex> lock(mu_);
  finalized_lag_ = lag;
}

FakeBlock FakeChain::block(std::uint64_t number) const {
  std::lock_guard<std::mutex> lock(mu_);
  return blocks_.at(number);
}

std::vector<FakeBlock> FakeChain::blocks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return blocks_;
}

void FakeChain::set_blocks(std::vector<FakeBlock> blocks) {
  if (blocks.empty()) throw std::logic_error("FakeChain::set_blocks: no genesis");
  std::lock_guard<std::mutex> lock(mu_);
  blocks_ = std::move(blocks);
}

void FakeChain::set_lag(std::uint64_t lag) {
  std::lock_guard<std::mutex> lock(mu_);
  lag_ = lag;
}

std::uint64_t FakeChain::served_head() const {
  std::lock_guard<std::mutex> lock(mu_);
  return served_head_locked();
}

std::uint64_t FakeChain::served_head_locked() const {
  const std::uint64_t head = blocks_.size() - 1;
  return head > lag_ ? head - lag_ : 0;
}

std::vector<eth::LogEntry> FakeChain::block_logs_locked(const FakeBlock& b) const {
  std::vector<eth::LogEntry> out;
  for (std::size_t i = 0; i < b.txs.size(); ++i) {
    const FakeTransfer& t = b.txs[i];
    eth::LogEntry log;
    log.address = t.contract.value_or(contract_);
    log.topics = {t.batch ? eth::transfer_batch_topic() : eth::transfer_single_topic(),
                  address_topic(t.from.is_zero() ? t.to : t.from), address_topic(t.from),
                  address_topic(t.to)};
    log.data = event_data(t);
    log.block_number = b.header.number;
    log.block_hash = b.header.hash;
    log.tx_hash = tx_hash_of(t, b.header.hash, i);
    log.tx_index = static_cast<std::uint32_t>(i);
    log.log_index = static_cast<std::uint32_t>(i);
    out.push_back(std::move(log));
  }
  return out;
}

std::vector<store::Claim> FakeChain::expected_claims(const std::vector<std::uint32_t>& levels,
                                                     std::uint64_t from, std::uint64_t to) const {
  const std::unordered_set<std::uint32_t> wanted(levels.begin(), levels.end());
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<store::Claim> out;
  for (std::uint64_t n = from; n < blocks_.size() && n <= to; ++n) {
    const FakeBlock& b = blocks_[n];
    const std::vector<eth::LogEntry> logs = block_logs_locked(b);
    for (std::size_t i = 0; i < b.txs.size(); ++i) {
      const FakeTransfer& t = b.txs[i];
      if (t.contract || t.malformed || !t.from.is_zero()) continue;
      for (std::size_t k = 0; k < t.items.size(); ++k) {
        const auto [id, value] = t.items[k];
        if (value == 0 || id > UINT32_MAX || !wanted.count(static_cast<std::uint32_t>(id)))
          continue;
        store::Claim c;
        c.key = {chain_id_, logs[i].tx_hash, logs[i].log_index, static_cast<std::uint32_t>(k)};
        c.wallet = t.to;
        c.level = static_cast<std::uint32_t>(id);
        c.amount = value;
        c.block_number = n;
        c.block_hash = b.header.hash;
        c.block_time = b.header.timestamp;
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

void FakeChain::fail_next(Op op, std::uint32_t count, ErrorCode code) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_count_[static_cast<int>(op)] = count;
  fail_code_[static_cast<int>(op)] = code;
}

void FakeChain::set_hook(std::function<void(Op)> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  hook_ = std::move(hook);
}

std::uint64_t FakeChain::calls(Op op) const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_[static_cast<int>(op)];
}

Status FakeChain::enter(Op op) {
  std::function<void(Op)> hook;
  {
    std::lock_guard<std::mutex> lock(mu_);
    hook = hook_;
  }
  if (hook) hook(op);
  std::lock_guard<std::mutex> lock(mu_);
  const int i = static_cast<int>(op);
  ++calls_[i];
  if (fail_count_[i] == 0) return {};
  --fail_count_[i];
  return error(fail_code_[i], "injected failure");
}

std::optional<std::uint64_t> FakeChain::resolve_locked(const eth::BlockRef& ref) const {
  const std::uint64_t head = served_head_locked();
  if (const auto* n = std::get_if<std::uint64_t>(&ref)) {
    if (*n > head) return std::nullopt;
    return *n;
  }
  std::optional<std::uint64_t> lag;
  switch (std::get<eth::BlockTag>(ref)) {
    case eth::BlockTag::kLatest: return head;
    case eth::BlockTag::kSafe: lag = safe_lag_; break;
    case eth::BlockTag::kFinalized: lag = finalized_lag_; break;
  }
  if (!lag || *lag > head) return std::nullopt;
  return head - *lag;
}

Result<std::uint64_t> FakeChain::chain_id() {
  CLAIMSYNC_RETURN_IF_ERROR(enter(Op::kChainId));
  return chain_id_;
}

Result<eth::BlockHeader> FakeChain::header(eth::BlockRef ref) {
  CLAIMSYNC_RETURN_IF_ERROR(enter(Op::kHeader));
  std::lock_guard<std::mutex> lock(mu_);
  const std::optional<std::uint64_t> n = resolve_locked(ref);
  if (!n) return error(ErrorCode::kNotFound, "no such block");
  return blocks_[*n].header;
}

Result<std::vector<eth::BlockHeader>> FakeChain::headers(
    const std::vector<std::uint64_t>& numbers) {
  CLAIMSYNC_RETURN_IF_ERROR(enter(Op::kHeaders));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<eth::BlockHeader> out;
  for (std::uint64_t n : numbers) {
    if (n > served_head_locked())
      return error(ErrorCode::kNotFound, "no block " + std::to_string(n));
    out.push_back(blocks_[n].header);
  }
  return out;
}

Result<std::vector<eth::LogEntry>> FakeChain::logs(const eth::LogFilter& filter) {
  CLAIMSYNC_RETURN_IF_ERROR(enter(Op::kLogs));
  std::lock_guard<std::mutex> lock(mu_);
  if (filter.from_block > filter.to_block) return error(ErrorCode::kInvalidArgument, "from > to");
  const std::uint64_t head = served_head_locked();
  if (filter.pin && filter.pin->number > head) {  // like RpcChainSource: behind
    return error(ErrorCode::kNotFound,
                 "pinned block " + std::to_string(filter.pin->number) + " is not served");
  }
  if (filter.pin && blocks_[filter.pin->number].header.hash != filter.pin->hash) {
    return error(ErrorCode::kReorg,
                 "pinned block " + std::to_string(filter.pin->number) + " has another hash now");
  }
  std::vector<eth::LogEntry> out;
  for (std::uint64_t n = filter.from_block; n <= head && n <= filter.to_block; ++n) {
    for (eth::LogEntry& log : block_logs_locked(blocks_[n])) {
      if (log.address == filter.address && topics_match(filter.topics, log.topics)) {
        out.push_back(std::move(log));
      }
    }
  }
  return out;
}

Result<std::optional<eth::Receipt>> FakeChain::receipt(const eth::Hash32& tx_hash) {
  CLAIMSYNC_RETURN_IF_ERROR(enter(Op::kReceipt));
  std::lock_guard<std::mutex> lock(mu_);
  for (const FakeBlock& b : blocks_) {
    for (eth::LogEntry& log : block_logs_locked(b)) {
      if (log.tx_hash != tx_hash) continue;
      eth::Receipt r;
      r.tx_hash = tx_hash;
      r.block_hash = b.header.hash;
      r.block_number = b.header.number;
      r.success = true;
      r.logs.push_back(std::move(log));
      return std::optional<eth::Receipt>(std::move(r));
    }
  }
  return std::optional<eth::Receipt>();
}

Result<std::vector<eth::U256>> FakeChain::balance_of_batch(const eth::Address& contract,
                                                           const std::vector<eth::Address>& owners,
                                                           const std::vector<eth::U256>& ids,
                                                           eth::BlockRef block) {
  CLAIMSYNC_RETURN_IF_ERROR(enter(Op::kBalance));
  if (owners.size() != ids.size())
    return error(ErrorCode::kInvalidArgument, "owners/ids sizes differ");
  std::lock_guard<std::mutex> lock(mu_);
  const std::optional<std::uint64_t> at = resolve_locked(block);
  if (!at) return error(ErrorCode::kNotFound, "no such block");
  std::map<std::pair<eth::Address, std::uint64_t>, std::uint64_t> balance;
  for (std::uint64_t n = 0; n <= *at; ++n) {
    for (const FakeTransfer& t : blocks_[n].txs) {
      if (t.contract.value_or(contract_) != contract || t.malformed) continue;
      for (const auto& [id, value] : t.items) {
        if (!t.from.is_zero()) balance[{t.from, id}] -= value;
        if (!t.to.is_zero()) balance[{t.to, id}] += value;
      }
    }
  }
  std::vector<eth::U256> out;
  for (std::size_t i = 0; i < owners.size(); ++i) {
    const std::optional<std::uint64_t> id = ids[i].to_u64();
    out.emplace_back(id ? balance[{owners[i], *id}] : 0);
  }
  return out;
}

}  // namespace claimsync::testing
