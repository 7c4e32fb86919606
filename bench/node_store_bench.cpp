// Node store benchmark: ingest N claims through commit_range in ranges of B claims, then
// drain them through due() + mark_replicated() in batches of B. Reports claims/s for both
// phases and the peak RSS, so memory can be compared across outbox sizes.
//
//   node_store_bench [--claims N] [--batch B] [--dir PATH] [--keep] [--skip-drain] [--help]
//
// Every commit is a synced WriteBatch, exactly as in production. Results: bench/RESULTS.md.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <unistd.h>

#include "bench/bench_options.hpp"
#include "rpc/logging.hpp"
#include "storage/node_store.hpp"

using namespace claimsync;
using namespace claimsync::store;

namespace {

constexpr std::uint64_t kChain = 42161;
constexpr std::int64_t kT0 = 1'700'000'000'000;
constexpr std::uint64_t kClaimsPerBlock = 100;

struct Args {
  std::uint64_t claims = 1'000'000;
  std::uint64_t batch = 1'000;
  std::string dir;
  bool keep = false;
  bool skip_drain = false;  // profile the ingest alone
};

Args parse_args(int argc, char** argv) {
  Args a;
  bench::BenchOptions cl(
      "node_store_bench", "[--claims N] [--batch B] [--dir PATH] [--keep] [--skip-drain] [--help]",
      "Node store: ingest N claims through commit_range in ranges of B, then drain them "
      "through due() + mark_replicated().");
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  cl.number("claims", "N", a.claims, std::uint64_t{1}, kMax, "claims to ingest and drain")
      .number("batch", "B", a.batch, std::uint64_t{1}, kMax, "claims per range and per drain batch")
      .text("dir", "PATH", a.dir,
            "the store's directory, emptied first (default /tmp/claimsync-store-bench-<pid>)")
      .flag("keep", a.keep, "keep the store's directory afterwards")
      .flag("skip-drain", a.skip_drain, "stop after the ingest (to profile it alone)");
  cl.parse(argc, argv);
  if (a.dir.empty()) a.dir = "/tmp/claimsync-store-bench-" + std::to_string(::getpid());
  return a;
}

eth::Hash32 hash_of(std::uint64_t n, std::uint8_t tag) {
  std::array<std::uint8_t, 32> b{};
  b[0] = tag;
  // Spread keys over the key space the way real tx hashes are.
  std::uint64_t x = n * 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < 8; ++i) b[1 + i] = static_cast<std::uint8_t>(x >> (8 * i));
  for (int i = 0; i < 8; ++i) b[31 - i] = static_cast<std::uint8_t>(n >> (8 * i));
  return eth::Hash32(b);
}

Claim make_claim(std::uint64_t i, std::uint64_t block) {
  Claim c;
  c.key = ClaimKey{kChain, hash_of(i / 3, 0x7e), static_cast<std::uint32_t>(i % 3), 0};
  std::array<std::uint8_t, 20> w{};
  std::uint64_t wallet = i % 50'000;
  for (int k = 0; k < 8; ++k) w[19 - k] = static_cast<std::uint8_t>(wallet >> (8 * k));
  c.wallet = eth::Address(w);
  c.level = 1 + static_cast<std::uint32_t>(i % 19);
  c.amount = eth::U256(1);
  c.block_number = block;
  c.block_hash = hash_of(block, 0xb1);
  c.block_time = 1'700'000'000 + block;
  c.sources = kSourceScan;
  return c;
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

double thread_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  auto sec = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

long current_rss_kb() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

long peak_rss_kb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::uintmax_t dir_bytes(const std::string& dir) {
  std::uintmax_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  Args args = parse_args(argc, argv);
  set_log_level(LogLevel::kWarn);
  std::filesystem::remove_all(args.dir);

  StoreIdentity identity{kChain, eth::Address(), 1};
  auto opened = NodeStore::open(args.dir, identity);
  if (!opened) {
    std::fprintf(stderr, "open failed: %s\n", opened.status().to_string().c_str());
    return 1;
  }
  NodeStore& store = **opened;

  // ---- ingest ----
  const std::uint64_t blocks_per_range = std::max<std::uint64_t>(1, args.batch / kClaimsPerBlock);
  std::uint64_t next_block = 1;
  std::uint64_t ingested = 0;
  std::vector<Claim> claims;
  std::vector<BlockRecord> blocks;
  auto t_ingest = std::chrono::steady_clock::now();
  const double cpu_ingest0 = cpu_seconds();
  const double fg_ingest0 = thread_cpu_seconds();
  for (std::int64_t round = 0; ingested < args.claims; ++round) {
    claims.clear();
    blocks.clear();
    BlockRange range{next_block, next_block + blocks_per_range - 1};
    for (auto b = range.from; b <= range.to; ++b) {
      blocks.push_back(BlockRecord{b, hash_of(b, 0xb1), hash_of(b - 1, 0xb1)});
    }
    for (std::uint64_t k = 0; k < args.batch && ingested < args.claims; ++k, ++ingested) {
      claims.push_back(make_claim(ingested, range.from + k * blocks_per_range / args.batch));
    }
    auto out = store.commit_range(range, blocks, claims, kT0 + round);
    if (!out || out->claims_new != claims.size()) {
      std::fprintf(stderr, "commit_range failed: %s\n", out.status().to_string().c_str());
      return 1;
    }
    next_block = range.to + 1;
    if (ingested % (args.claims / 4 < args.batch ? args.claims : args.claims / 4) == 0) {
      std::printf("  ingested %-10llu RSS %ld MB, peak %ld MB\n",
                  static_cast<unsigned long long>(ingested), current_rss_kb() / 1024,
                  peak_rss_kb() / 1024);
    }
  }
  const double ingest_s = seconds_since(t_ingest);
  const double ingest_cpu = cpu_seconds() - cpu_ingest0;
  const double ingest_fg = thread_cpu_seconds() - fg_ingest0;
  const long rss_after_ingest = peak_rss_kb();
  if (store.counters().of(ClaimState::kPending) != args.claims ||
      store.checkpoint() != next_block - 1) {
    std::fprintf(stderr, "ingest check failed\n");
    return 1;
  }

  // ---- drain ----
  const std::int64_t now = kT0 + static_cast<std::int64_t>(args.claims);
  std::uint64_t drained = 0;
  std::vector<ClaimKey> keys;
  auto t_drain = std::chrono::steady_clock::now();
  const double cpu_drain0 = cpu_seconds();
  const double fg_drain0 = thread_cpu_seconds();
  for (std::uint64_t guard = 0; !args.skip_drain && guard <= args.claims / args.batch + 1;
       ++guard) {
    auto due = store.due(now, args.batch);
    if (!due) {
      std::fprintf(stderr, "due failed: %s\n", due.status().to_string().c_str());
      return 1;
    }
    if (due->empty()) break;
    keys.clear();
    for (const auto& c : *due) keys.push_back(c.key);
    auto st = store.mark_replicated(keys, now);
    if (!st.ok()) {
      std::fprintf(stderr, "mark_replicated failed: %s\n", st.to_string().c_str());
      return 1;
    }
    drained += keys.size();
  }
  const double drain_s = seconds_since(t_drain);
  const double drain_cpu = cpu_seconds() - cpu_drain0;
  const double drain_fg = thread_cpu_seconds() - fg_drain0;
  const long rss_after_drain = peak_rss_kb();
  if (!args.skip_drain &&
      (drained != args.claims || store.counters().of(ClaimState::kDone) != args.claims)) {
    std::fprintf(stderr, "drain check failed: drained %llu\n",
                 static_cast<unsigned long long>(drained));
    return 1;
  }
  const auto disk = dir_bytes(args.dir);
  opened->reset();
  if (!args.keep) std::filesystem::remove_all(args.dir);

  std::printf("claims            %llu (batch %llu, one synced WriteBatch per batch)\n",
              static_cast<unsigned long long>(args.claims),
              static_cast<unsigned long long>(args.batch));
  const double n = static_cast<double>(args.claims);
  std::printf(
      "ingest            %.2f s  %.0f claims/s  (CPU: caller %.2f s, all threads %.2f s; peak RSS "
      "so far %ld MB)\n",
      ingest_s, n / ingest_s, ingest_fg, ingest_cpu, rss_after_ingest / 1024);
  if (args.skip_drain) {
    std::printf("drain             skipped\n");
  } else {
    std::printf(
        "drain             %.2f s  %.0f claims/s  (CPU: caller %.2f s, all threads %.2f s)\n",
        drain_s, n / drain_s, drain_fg, drain_cpu);
  }
  std::printf("peak RSS          %ld MB\n", rss_after_drain / 1024);
  std::printf("data dir on disk  %.1f MB\n", static_cast<double>(disk) / (1 << 20));
  return 0;
}
