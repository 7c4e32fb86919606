#include "tests/support/follower_harness.hpp"

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include "storage/node_store_check.hpp"
#include "tests/support/outbox_view.hpp"

namespace claimsync::testing {

std::unique_ptr<TempDir> fast_temp_dir(const std::string& prefix) {
  if (::access("/dev/shm", W_OK) == 0) {
    const char* old = std::getenv("TMPDIR");
    const std::string saved = old ? old : "";
    ::setenv("TMPDIR", "/dev/shm", 1);
    auto dir = std::make_unique<TempDir>(prefix);
    if (old)
      ::setenv("TMPDIR", saved.c_str(), 1);
    else
      ::unsetenv("TMPDIR");
    return dir;
  }
  return std::make_unique<TempDir>(prefix);
}

std::vector<std::uint32_t> default_levels() {
  std::vector<std::uint32_t> levels;
  for (std::uint32_t l = 1; l <= 19; ++l) levels.push_back(l);
  return levels;
}

node::FollowerOptions fake_follower_options(const FakeChain& chain, std::uint64_t start_block) {
  node::FollowerOptions o;
  o.chain_id = chain.id();
  o.contract = chain.contract();
  o.start_block = start_block;
  o.confirmations = 0;
  o.range_blocks = 8;
  o.first_range_blocks = 8;  // the cases here script whole ranges (follower_span_test: growth)
  o.reorg_window = 256;
  o.levels = default_levels();
  o.poll_interval_ms = 1000;
  o.progress_interval_ms = INT64_MAX / 2;
  return o;
}

FollowerHarness::FollowerHarness(node::FollowerOptions options, FakeChain* chain)
    : owned_chain_(chain ? nullptr : std::make_unique<FakeChain>()),
      chain_(chain ? chain : owned_chain_.get()),
      options_(std::move(options)),
      dir_(fast_temp_dir("claimsync-follower")) {
  open();
}

FollowerHarness::~FollowerHarness() = default;

void FollowerHarness::open() {
  store::StoreIdentity id{options_.chain_id, options_.contract, options_.start_block};
  auto store = store::NodeStore::open(dir_->path(), id);
  if (!store.ok()) throw std::runtime_error("open store: " + store.status().to_string());
  store_ = std::move(*store);
  follower_ = std::make_unique<node::Follower>(*chain_, *store_, clock_, options_);
}

void FollowerHarness::restart() {
  follower_.reset();
  store_.reset();
  open();
}

Result<std::vector<node::FollowerStep>> FollowerHarness::settle(std::size_t max_steps) {
  std::vector<node::FollowerStep> steps;
  while (steps.size() < max_steps) {
    Result<node::FollowerStep> s = follower_->step();
    if (!s.ok()) return s.status();
    steps.push_back(*s);
    if (s->kind == node::FollowerStepKind::kIdle) return steps;
  }
  return error(ErrorCode::kInternal,
               "the follower did not settle in " + std::to_string(max_steps) + " steps");
}

Status FollowerHarness::step_until_checkpoint(std::uint64_t block, std::size_t max_steps) {
  for (std::size_t i = 0; i < max_steps; ++i) {
    std::optional<std::uint64_t> cp = store_->checkpoint();
    if (cp && *cp >= block) return {};
    Result<node::FollowerStep> s = follower_->step();
    if (!s.ok()) return s.status();
    if (s->kind == node::FollowerStepKind::kIdle) return {};
  }
  return error(ErrorCode::kInternal, "checkpoint did not reach " + std::to_string(block));
}

std::string FollowerHarness::check_outbox() {
  const std::optional<std::uint64_t> cp = store_->checkpoint();
  std::vector<store::Claim> expected;
  if (cp) expected = chain_->expected_claims(options_.levels, options_.start_block, *cp);
  std::string problems = diff_claims(live_claims(*store_), expected);
  Status inv = store::verify_store_invariants(*store_);
  if (!inv.ok()) problems += "store invariants: " + inv.to_string() + "\n";
  return problems;
}

}  // namespace claimsync::testing
