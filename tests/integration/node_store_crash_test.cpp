// Crash test of the node store: a child process runs a random operation sequence on a
// store and is kill -9'd at a random instant, again and again. After each kill the parent
// reopens the store and checks that
//   * every operation the child acknowledged is present: the store equals a model store
//     to which the parent applied the same acknowledged operations (or, when the kill hit
//     after an operation committed but before its acknowledgement, those plus that one);
//   * counters equal a full recount and every index (the due index above all) matches
//     the claim states exactly (verify_store_invariants);
//   * ranges are merged and the checkpoint is never beyond a hole.
//
// The operation sequence of run i is a pure function of (seed, i) and the store state, so
// the parent can replay it on the model. Environment:
//   CLAIMSYNC_CRASH_ITERATIONS  kills (default 200)
//   CLAIMSYNC_CRASH_SEED        master seed to replay a failure (printed at start)
// The child mode is the hidden test case "[.crash_child]", selected by the parent.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <random>
#include <sstream>

#include "rpc/bytes.hpp"
#include "rpc/logging.hpp"
#include "storage/byte_codec.hpp"
#include "storage/node_store.hpp"
#include "storage/node_store_check.hpp"
#include "storage/rocks_node_store.hpp"
#include "tests/support/process.hpp"

using namespace claimsync;
using namespace claimsync::store;

namespace {

constexpr std::uint64_t kChain = 8453;
constexpr std::uint64_t kStartBlock = 100;
constexpr std::uint64_t kTopBlock = 700;    // ranges stay below this; rollbacks make room
constexpr std::uint64_t kTxUniverse = 300;  // small, so claims are seen again and again
constexpr std::int64_t kT0 = 1'700'000'000'000;

const StoreIdentity kIdentity{kChain, eth::Address(std::array<std::uint8_t, 20>{0xc0, 0xff, 0xee}),
                              kStartBlock};

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::stoull(v) : fallback;
}

std::uint64_t mix(std::uint64_t x) {  // splitmix64
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

eth::Hash32 hash_of(std::uint64_t n, std::uint8_t tag) {
  std::array<std::uint8_t, 32> b{};
  b[0] = tag;
  for (int i = 0; i < 8; ++i) b[31 - i] = static_cast<std::uint8_t>(n >> (8 * i));
  return eth::Hash32(b);
}

eth::Address wallet_of(std::uint64_t n) {
  std::array<std::uint8_t, 20> b{};
  b[0] = 0xa1;
  b[19] = static_cast<std::uint8_t>(n);
  return eth::Address(b);
}

std::string hex_of(const std::string& raw) {
  return eth::to_hex(eth::ByteView(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()),
                     false);
}

std::string code_of(const Status& st) { return st.ok() ? "ok" : error_code_name(st.code()); }

// The random operation sequence. Each step's description (operation + outcome) is what
// the child acknowledges and what the parent's replay must reproduce.
class Workload {
 public:
  Workload(std::uint64_t seed, NodeStore& store, std::int64_t t0)
      : rng_(seed), s_(store), t0_(t0) {}

  std::string step() {
    now_ = t0_ + static_cast<std::int64_t>(steps_++) * 37;
    std::uint64_t dice = pick(100);
    if (dice < 30) return commit();
    if (dice < 42) return ingest();
    if (dice < 60) return replicate();
    if (dice < 70) return fail();
    if (dice < 75) return retry_dead();
    if (dice < 82) return rollback();
    if (dice < 87) return prune();
    if (dice < 90) return note();
    return read_only();
  }

 private:
  std::uint64_t pick(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }

  Claim random_claim(std::uint64_t block) {
    Claim c;
    c.key = ClaimKey{kChain, hash_of(pick(kTxUniverse), 0x7e), static_cast<std::uint32_t>(pick(2)),
                     static_cast<std::uint32_t>(pick(2))};
    c.wallet = wallet_of(pick(20));
    c.level = 1 + static_cast<std::uint32_t>(pick(19));
    c.amount = eth::U256(1 + pick(3));
    c.block_number = block;
    c.block_hash = hash_of(block, static_cast<std::uint8_t>(0xb0 + pick(3)));
    c.block_time = 1'700'000'000 + block;
    c.sources = 1u << pick(5);
    if (pick(4) == 0) c.referrer = wallet_of(100 + pick(5));
    return c;
  }

  std::string commit() {
    std::uint64_t cp = s_.checkpoint().value_or(kStartBlock - 1);
    std::uint64_t from = cp + 1;
    std::uint64_t how = pick(10);
    if (how >= 7 && how < 9) from = cp + 2 + pick(20);                  // leaves a hole
    if (how == 9) from = kStartBlock - 5 + pick(cp - kStartBlock + 6);  // rescan
    std::uint64_t to = from + pick(8);
    if (to >= kTopBlock) return rollback();
    std::vector<BlockRecord> blocks;
    std::uint8_t tag = static_cast<std::uint8_t>(0xb0 + pick(3));
    for (auto b = from; b <= to; ++b) blocks.push_back({b, hash_of(b, tag), hash_of(b - 1, tag)});
    std::vector<Claim> claims;
    for (std::uint64_t n = pick(7); n > 0; --n)
      claims.push_back(random_claim(from + pick(to - from + 1)));
    auto out = s_.commit_range({from, to}, blocks, claims, now_);
    std::ostringstream d;
    d << "commit [" << from << "," << to << "] n=" << claims.size() << " -> "
      << code_of(out.status());
    if (out)
      d << " new=" << out->claims_new << " known=" << out->claims_known
        << " revived=" << out->claims_revived;
    return d.str();
  }

  std::string ingest() {
    Claim c = random_claim(kStartBlock + pick(kTopBlock - kStartBlock));
    auto out = s_.ingest(c, now_);
    std::ostringstream d;
    d << "ingest " << c.key.to_string() << " -> " << code_of(out.status());
    if (out)
      d << " created=" << out->created << " revived=" << out->revived << " "
        << claim_state_name(out->state);
    return d.str();
  }

  std::string replicate() {
    auto due = s_.due(now_, 1 + pick(8));
    if (!due) return "due -> " + code_of(due.status());
    std::vector<ClaimKey> keys;
    for (std::size_t i = 0, n = 1 + pick(due->size()); i < n && i < due->size(); ++i)
      keys.push_back((*due)[i].key);
    if (pick(10) == 0) {  // all or nothing: a done claim spoils the whole call
      auto done = s_.list_by_state(ClaimState::kDone, 3);
      if (!done.empty()) keys.push_back(done[pick(done.size())].key);
    }
    std::ostringstream d;
    d << "replicate n=" << keys.size() << " -> " << code_of(s_.mark_replicated(keys, now_));
    return d.str();
  }

  std::string fail() {
    auto due = s_.due(now_ + 10'000, 5);
    if (!due || due->empty()) return "fail: nothing due";
    const Claim& c = (*due)[pick(due->size())];
    auto out = s_.mark_failed(c.key, "sink rejected " + std::to_string(pick(1000)),
                              now_ + static_cast<std::int64_t>(pick(5000)),
                              1 + static_cast<std::uint32_t>(pick(3)), now_);
    std::ostringstream d;
    d << "fail " << c.key.to_string() << " -> " << code_of(out.status());
    if (out) d << " " << claim_state_name(*out);
    return d.str();
  }

  std::string retry_dead() {
    auto dead = s_.list_by_state(ClaimState::kDead, 5);
    ClaimKey k =
        dead.empty() || pick(4) == 0 ? random_claim(kStartBlock).key : dead[pick(dead.size())].key;
    return "retry " + k.to_string() + " -> " + code_of(s_.retry_dead(k, now_));
  }

  std::string rollback() {
    std::uint64_t cp = s_.checkpoint().value_or(kStartBlock);
    std::uint64_t fork = kStartBlock - 1 + pick(cp - kStartBlock + 2);
    if (pick(3) == 0) fork = cp > 3 ? cp - 1 - pick(3) : cp;  // shallow reorgs are the common case
    auto out = s_.rollback_to(fork, now_);
    std::ostringstream d;
    d << "rollback " << fork << " -> " << code_of(out.status());
    if (out)
      d << " orphaned=" << out->orphaned << " revoking=" << out->revoking
        << " blocks=" << out->blocks_dropped;
    return d.str();
  }

  std::string prune() {
    std::uint64_t below = kStartBlock + pick(kTopBlock - kStartBlock);
    return "prune " + std::to_string(below) + " -> " + code_of(s_.prune_blocks_below(below));
  }

  std::string note() {
    return "note -> " + code_of(s_.put_note("n" + std::to_string(pick(3)), std::to_string(steps_)));
  }

  std::string read_only() {
    auto next = s_.next_due_at();
    auto oldest = s_.oldest_pending_created_ms();
    auto due = s_.due(now_, 50);
    std::ostringstream d;
    d << "read next=" << (next ? *next - t0_ : -1) << " oldest=" << (oldest ? *oldest - t0_ : -1)
      << " due=" << (due ? static_cast<std::int64_t>(due->size()) : -1);
    return d.str();
  }

  std::mt19937_64 rng_;
  NodeStore& s_;
  std::int64_t t0_;
  std::int64_t now_ = 0;
  std::uint64_t steps_ = 0;
};

std::uint64_t run_seed(std::uint64_t master, std::uint64_t run) {
  return mix(master * 1'000'003 + run);
}
std::int64_t run_t0(std::uint64_t run) { return kT0 + static_cast<std::int64_t>(run) * 10'000'000; }

// Everything observable through the interface except notes (advisory, not compared).
std::string snapshot(const NodeStore& s) {
  std::ostringstream out;
  for (int st = 0; st < kClaimStateCount; ++st) {
    auto state = static_cast<ClaimState>(st);
    out << claim_state_name(state) << "=" << s.counters().of(state) << ":";
    for (const auto& c : s.list_by_state(state, 1'000'000))
      out << hex_of(c.key.encode() + c.encode_value()) << ";";
    out << "\n";
  }
  out << "ranges:";
  for (const auto& r : s.ranges()) out << r.from << "-" << r.to << ",";
  out << "\nblocks:";
  for (const auto& b : s.blocks_descending(std::numeric_limits<std::uint64_t>::max(), 1'000'000)) {
    out << b.number << "=" << b.hash.hex().substr(0, 4) << ",";
  }
  out << "\ncheckpoint:" << (s.checkpoint() ? std::to_string(*s.checkpoint()) : "none");
  out << "\ndue:";
  auto due = s.due(std::numeric_limits<std::int64_t>::max(), 1'000'000);
  if (due) {
    for (const auto& c : *due) out << c.key.to_string() << ",";
  }
  return out.str();
}

}  // namespace

// ---- the child -----------------------------------------------------------------------------

TEST_CASE("crash child: run the workload until killed", "[.crash_child]") {
  set_log_level(LogLevel::kError);
  const std::string dir = std::getenv("CLAIMSYNC_CRASH_DIR");
  const std::uint64_t seed = env_u64("CLAIMSYNC_CRASH_RUN_SEED", 0);
  const std::uint64_t run = env_u64("CLAIMSYNC_CRASH_RUN", 0);
  const int ack_fd = static_cast<int>(env_u64("CLAIMSYNC_CRASH_ACK_FD", 3));
  auto store = NodeStore::open(dir, kIdentity);
  REQUIRE(store.ok());
  Workload w(seed, **store, run_t0(run));
  for (int i = 0; i < 1'000'000; ++i) {
    std::string line = w.step() + "\n";  // acknowledged only once the call has returned
    REQUIRE(::write(ack_fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
  }
}

// ---- the parent ----------------------------------------------------------------------------

namespace {

// A file system without fsync, for the parent's own stores: it is never killed, so it
// needs no durability, and skipping fsync keeps the test fast. The child uses the real one.
class NoSyncFs : public rocksdb::FileSystemWrapper {
 public:
  explicit NoSyncFs(const std::shared_ptr<rocksdb::FileSystem>& t) : FileSystemWrapper(t) {}
  const char* Name() const override { return "NoSyncFs"; }
  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* d) override {
    auto s = target()->NewWritableFile(name, o, r, d);
    if (s.ok()) *r = std::make_unique<File>(std::move(*r));
    return s;
  }
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& o,
                                 std::unique_ptr<rocksdb::FSDirectory>* r,
                                 rocksdb::IODebugContext* d) override {
    auto s = target()->NewDirectory(name, o, r, d);
    if (s.ok()) *r = std::make_unique<Dir>(std::move(*r));
    return s;
  }

 private:
  struct File : rocksdb::FSWritableFileOwnerWrapper {
    using FSWritableFileOwnerWrapper::FSWritableFileOwnerWrapper;
    rocksdb::IOStatus Sync(const rocksdb::IOOptions&, rocksdb::IODebugContext*) override {
      return {};
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions&, rocksdb::IODebugContext*) override {
      return {};
    }
    rocksdb::IOStatus RangeSync(uint64_t, uint64_t, const rocksdb::IOOptions&,
                                rocksdb::IODebugContext*) override {
      return {};
    }
  };
  struct Dir : rocksdb::FSDirectoryWrapper {
    explicit Dir(std::unique_ptr<rocksdb::FSDirectory>&& t) : FSDirectoryWrapper(std::move(t)) {}
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions&, rocksdb::IODebugContext*) override {
      return {};
    }
    rocksdb::IOStatus FsyncWithDirOptions(const rocksdb::IOOptions&, rocksdb::IODebugContext*,
                                          const rocksdb::DirFsyncOptions&) override {
      return {};
    }
  };
};

std::unique_ptr<RocksNodeStore> open_fast(const std::string& dir, rocksdb::Env* env) {
  auto s = RocksNodeStore::open(dir, &kIdentity, env);
  INFO(s.status().to_string());
  REQUIRE(s.ok());
  return std::move(*s);
}

std::string self_exe() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

struct RunOutcome {
  std::vector<std::string> acked;
};

// When the kill comes: `delay_ms` after the child acknowledged its first operation (the
// store is open and working), or, with `from_spawn`, after the spawn (kills while the
// child is still starting or recovering the store).
struct KillTiming {
  bool from_spawn = false;
  int delay_ms = 0;
};

// Spawns the child for `run`, kills it as `timing` says, returns what it acknowledged.
RunOutcome run_child(const std::string& dir, std::uint64_t master, std::uint64_t run,
                     KillTiming timing) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  REQUIRE(::fcntl(fds[1], F_SETFD, 0) == 0);  // the child inherits the write end
  testing::SpawnOptions opts;
  opts.env = {{"CLAIMSYNC_CRASH_DIR", dir},
              {"CLAIMSYNC_CRASH_RUN_SEED", std::to_string(run_seed(master, run))},
              {"CLAIMSYNC_CRASH_RUN", std::to_string(run)},
              {"CLAIMSYNC_CRASH_ACK_FD", std::to_string(fds[1])}};
  auto child = testing::ChildProcess::spawn({self_exe(), "[.crash_child]"}, opts);
  ::close(fds[1]);

  std::string buffer;
  bool eof = false;
  auto read_some = [&](int timeout_ms) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return;
    char chunk[4096];
    ssize_t n = ::read(fds[0], chunk, sizeof(chunk));
    if (n <= 0) {
      eof = true;
      return;
    }
    buffer.append(chunk, static_cast<std::size_t>(n));
  };
  // Reads acknowledgements until `done()` or the deadline or the child's end.
  auto read_until = [&](std::chrono::steady_clock::time_point deadline, auto done) {
    while (!eof && !done()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      read_some(static_cast<int>(left.count()));
    }
  };
  auto never = [] { return false; };
  if (!timing.from_spawn) {
    read_until(std::chrono::steady_clock::now() + std::chrono::seconds(30),
               [&] { return buffer.find('\n') != std::string::npos; });
  }
  read_until(std::chrono::steady_clock::now() + std::chrono::milliseconds(timing.delay_ms), never);
  child.signal(SIGKILL);
  auto status = child.wait(std::chrono::milliseconds(10'000));
  REQUIRE(status.has_value());
  // A child that exited by itself (not 128+SIGKILL) failed: its workload never ends.
  CHECK(*status == 128 + SIGKILL);
  read_until(std::chrono::steady_clock::now() + std::chrono::seconds(10), never);  // drain to EOF
  ::close(fds[0]);

  RunOutcome out;
  std::istringstream lines(buffer);
  std::string line;
  while (std::getline(lines, line)) {
    if (lines.eof())
      break;  // an unterminated tail was never acknowledged (cannot happen: one write per line)
    out.acked.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("node store survives kill -9 at random instants", "[crash][node_store]") {
  set_log_level(LogLevel::kError);
  const std::uint64_t iterations = env_u64("CLAIMSYNC_CRASH_ITERATIONS", 200);
  const std::uint64_t master = env_u64("CLAIMSYNC_CRASH_SEED", std::random_device{}());
  std::cout << "node_store_crash_test: seed " << master
            << " (replay: CLAIMSYNC_CRASH_SEED=" << master << "), iterations " << iterations
            << std::endl;
  INFO("seed " << master);

  testing::TempDir tmp("node-store-crash");
  const std::string crashed_dir = tmp.file("crashed");
  const std::string model_dir = tmp.file("model");
  auto fs = std::make_shared<NoSyncFs>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> fast_env = rocksdb::NewCompositeEnv(fs);
  auto model = open_fast(model_dir, fast_env.get());
  std::mt19937_64 delays(mix(master));

  std::uint64_t acked_total = 0, inflight_durable = 0, killed_before_any_ack = 0;
  for (std::uint64_t run = 0; run < iterations; ++run) {
    INFO("run " << run);
    // Mostly mid-workload; sometimes while the child is still opening the store.
    // One run in ten is killed at a random instant from its start (open, recovery); the
    // rest at a random instant of a working store.
    KillTiming timing;
    timing.from_spawn = delays() % 10 == 0;
    timing.delay_ms = static_cast<int>(timing.from_spawn ? delays() % 150 : delays() % 120);
    RunOutcome outcome = run_child(crashed_dir, master, run, timing);
    acked_total += outcome.acked.size();
    if (outcome.acked.empty()) ++killed_before_any_ack;

    Workload replay(run_seed(master, run), *model, run_t0(run));
    for (std::size_t i = 0; i < outcome.acked.size(); ++i) {
      INFO("acknowledged op " << i);
      REQUIRE(replay.step() == outcome.acked[i]);
    }

    auto crashed = open_fast(crashed_dir, fast_env.get());
    Status invariants = verify_store_invariants(*crashed);
    INFO(invariants.to_string());
    REQUIRE(invariants.ok());
    auto holes = crashed->holes(kStartBlock, crashed->checkpoint().value_or(kStartBlock - 1));
    REQUIRE((crashed->checkpoint() ? holes.empty() : true));

    std::string actual = snapshot(*crashed);
    if (actual != snapshot(*model)) {
      // The kill came after an operation committed but before its acknowledgement.
      std::string inflight = replay.step();
      INFO("in-flight op: " << inflight);
      REQUIRE(actual == snapshot(*model));
      ++inflight_durable;
    }
  }
  std::cout << "node_store_crash_test: " << iterations << " kills, " << acked_total
            << " acknowledged ops, " << inflight_durable
            << " kills between commit and acknowledgement, " << killed_before_any_ack
            << " kills before the first acknowledgement" << std::endl;
  CHECK(acked_total > iterations * 5);  // the kills hit a working store, not only its startup
}
