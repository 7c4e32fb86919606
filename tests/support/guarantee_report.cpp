#include "tests/support/guarantee_report.hpp"

#include "tests/support/process.hpp"

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>

namespace claimsync::testing {

using SteadyClock = std::chrono::steady_clock;

std::uint64_t guarantee_seed() {
  if (const char* env = std::getenv("CLAIMSYNC_GUARANTEE_SEED"); env && *env) {
    return std::stoull(env);
  }
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^
         static_cast<std::uint64_t>(SteadyClock::now().time_since_epoch().count());
}

std::string load_summary(const LoadStats& s) {
  std::ostringstream o;
  o << "load: waves=" << s.waves << " txs sent=" << s.txs_sent << " ok=" << s.txs_ok
    << " reverted=" << s.txs_reverted << " resent=" << s.txs_resent
    << " level-claims-mined=" << s.level_claims_sent << " | single=" << s.single_mints
    << " batch=" << s.batch_mints << " batch-with-repeat=" << s.batch_repeats_in_tx
    << " repeated-level=" << s.repeated_levels << " non-level=" << s.non_level_mints
    << " transfers=" << s.transfers << " batch-transfers=" << s.batch_transfers
    << " burns=" << s.burns << " | reorgs=" << s.reorgs << " (blocks " << s.reorged_blocks
    << ", replacement mints " << s.replacement_mints << ") last block=" << s.last_block;
  return o.str();
}

std::string truth_summary(const ChainTruth& t) {
  std::size_t repeated = 0;  // claims beyond the first of their (wallet, level)
  repeated = t.claims.size() - t.membership.size();
  std::ostringstream o;
  o << "chain: logs=" << t.counts.logs << " mint-logs=" << t.counts.mint_logs
    << " transfer-logs=" << t.counts.transfer_logs << " burn-logs=" << t.counts.burn_logs
    << " non-level-mints=" << t.counts.non_level_mints << " claims=" << t.claims.size()
    << " repeated-level-claims=" << repeated << " wallets=" << t.member_level.size()
    << " blocks=" << t.counts.blocks_with_logs << " balances-checked=" << t.counts.balances_checked;
  return o.str();
}

// Prints what a failure needs (node log tail, last status) before Catch reports it.
void print_context(const NodeUnderTest& node, std::uint64_t seed, const std::string& extra) {
  std::cout << "---- guarantee failure context (seed " << seed
            << "; set CLAIMSYNC_KEEP_TEST_DIRS=1 to keep the logs) ----\n"
            << extra << "\n---- last lines of " << node.log_path() << " ----\n"
            << node.log_tail(80) << "---- end ----" << std::endl;
}

std::vector<std::string> log_lines_with(const std::string& path,
                                        const std::vector<std::string>& needles, std::size_t max) {
  std::vector<std::string> out;
  std::istringstream in(read_file(path));
  std::string line;
  while (out.size() < max && std::getline(in, line)) {
    for (const auto& n : needles) {
      if (line.find(n) != std::string::npos) {
        out.push_back(line.substr(0, 400));
        break;
      }
    }
  }
  return out;
}

std::vector<std::string> node_life_problems(const NodeUnderTest& node,
                                            const std::vector<std::string>& chaos_problems) {
  std::vector<std::string> out;
  for (const auto& p : chaos_problems) out.push_back("node problem during chaos: " + p);
  for (const auto& line :
       log_lines_with(node.log_path(), {"event=follower_stopped", "event=shutdown_forced"}, 3)) {
    out.push_back("the node stopped by itself: " + line);
  }
  return out;
}

std::uint64_t json_u64(const nlohmann::json& j, const char* section, const char* key) {
  if (!j.contains(section) || !j.at(section).contains(key)) return 0;
  const nlohmann::json& v = j.at(section).at(key);
  return v.is_number_unsigned() || v.is_number_integer() ? v.get<std::uint64_t>() : 0;
}

std::string stall_reason(const nlohmann::json& status) {
  auto text = [&](const nlohmann::json& j, const char* key) {
    return j.is_object() && j.contains(key) && j.at(key).is_string() ? j.at(key).get<std::string>()
                                                                     : std::string();
  };
  auto flag = [&](const nlohmann::json& j, const char* key, bool value) {
    return j.is_object() && j.contains(key) && j.at(key).is_boolean() &&
           j.at(key).get<bool>() == value;
  };
  std::string out;
  auto add = [&](const std::string& what) {
    if (!what.empty()) out += (out.empty() ? "" : "; ") + what;
  };
  const nlohmann::json none = nlohmann::json::object();
  const nlohmann::json& chain = status.is_object() ? status.value("chain", none) : none;
  const nlohmann::json& db = status.is_object() ? status.value("db", none) : none;
  if (const std::string e = text(status, "last_error"); !e.empty()) add("last_error: " + e);
  if (const std::string e = text(chain, "follower_error"); !e.empty()) add("follower: " + e);
  if (flag(chain, "rpc_reachable", false)) add("rpc unreachable");
  if (flag(db, "paused", true)) add("replicator paused: " + text(db, "error"));
  if (flag(db, "reachable", false)) add("db unreachable: " + text(db, "error"));
  return out;
}

bool wait_caught_up(NodeUnderTest& node, std::uint64_t block, std::chrono::milliseconds deadline,
                    nlohmann::json& status, std::string& diagnostics) {
  const bool done = wait_until(
      [&] {
        if (!node.running()) return true;  // stop waiting: it died (the caller checks)
        auto s = node.status(&diagnostics);
        if (!s) return false;
        status = *s;
        const nlohmann::json& checkpoint = status["chain"]["checkpoint"];
        return status.value("caught_up", false) && checkpoint.is_number() &&
               checkpoint.get<std::uint64_t>() >= block;
      },
      deadline, std::chrono::milliseconds(1000));
  return done && node.running();
}

}  // namespace claimsync::testing
