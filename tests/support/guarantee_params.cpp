#include "tests/support/guarantee_params.hpp"

#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace claimsync::testing {
namespace {

// The value of CLAIMSYNC_GUARANTEE_<name>, when set and non-empty.
bool env_u64(const char* name, std::uint64_t& out) {
  const std::string var = std::string("CLAIMSYNC_GUARANTEE_") + name;
  const char* env = std::getenv(var.c_str());
  if (!env || !*env) return false;
  const std::string text(env);
  if (text.find_first_not_of("0123456789") != std::string::npos || text.size() > 18) {
    throw std::invalid_argument(var + " must be a non-negative integer, got '" + text + "'");
  }
  out = std::stoull(text);
  return true;
}

template <typename T>
void apply(const char* name, T& field) {
  std::uint64_t v = 0;
  if (env_u64(name, v)) field = static_cast<T>(v);
}

void apply_ms(const char* name, std::chrono::milliseconds& field) {
  std::uint64_t v = 0;
  if (env_u64(name, v)) field = std::chrono::milliseconds(static_cast<std::int64_t>(v));
}

}  // namespace

std::string GuaranteeParams::describe() const {
  std::ostringstream s;
  s << "block_ms=" << block_ms << " confirmations=" << confirmations << " waves=" << waves
    << " load_ms=" << load_phase.count() << " reorgs=" << reorgs
    << " reorg_depth=" << reorg_min_depth << ".." << reorg_max_depth << " kills=" << kills
    << " outages=" << outages << " outage_ms=" << min_outage.count()
    << " catch_up_ms=" << catch_up.count() << " claims_per_wave=" << claims_per_wave
    << " wallets=" << wallets << " node_defaults=" << node_defaults << " debug_log=" << debug_log;
  return s.str();
}

GuaranteeParams guarantee_params_from_env(GuaranteeParams p) {
  apply("BLOCK_MS", p.block_ms);
  apply("CONFIRMATIONS", p.confirmations);
  apply("WAVES", p.waves);
  apply_ms("LOAD_MS", p.load_phase);
  apply("REORGS", p.reorgs);
  apply("REORG_MIN_DEPTH", p.reorg_min_depth);
  apply("REORG_MAX_DEPTH", p.reorg_max_depth);
  apply("KILLS", p.kills);
  apply("OUTAGES", p.outages);
  apply_ms("OUTAGE_MS", p.min_outage);
  apply_ms("CATCH_UP_MS", p.catch_up);
  apply("CLAIMS_PER_WAVE", p.claims_per_wave);
  apply("WALLETS", p.wallets);
  apply("NODE_DEFAULTS", p.node_defaults);
  apply("DEBUG_LOG", p.debug_log);
  if (p.block_ms == 0) throw std::invalid_argument("guarantee: BLOCK_MS must be > 0");
  if (p.wallets < 60) throw std::invalid_argument("guarantee: WALLETS must be >= 60");
  if (p.waves < 8) throw std::invalid_argument("guarantee: WAVES must be >= 8");
  if (p.reorg_min_depth == 0 || p.reorg_min_depth > p.reorg_max_depth) {
    throw std::invalid_argument("guarantee: need 1 <= REORG_MIN_DEPTH <= REORG_MAX_DEPTH");
  }
  if (static_cast<std::size_t>(p.reorgs) > p.waves - 6) {
    throw std::invalid_argument("guarantee: REORGS must leave room in WAVES - 6 waves");
  }
  return p;
}

}  // namespace claimsync::testing
