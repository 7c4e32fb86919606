#include "node/intake/intake_options.hpp"

namespace claimsync::node {

IntakeOptions intake_options(const Config& config) {
  IntakeOptions o;
  o.chain_id = config.chain.chain_id;
  o.contract = config.chain.contract;
  o.levels = config.chain.levels;
  o.replicate = config.intake.replicate == "when_final" ? IntakeReplicate::kWhenFinal
                                                        : IntakeReplicate::kAtOnce;
  o.workers = config.intake.workers;
  o.queue_limit = config.intake.queue_limit;
  o.max_tracked = config.intake.max_tracked;
  o.watch_ms = config.intake.watch_s * 1000;
  o.recheck_ms = config.intake.recheck_ms;
  o.source = store::kSourceIntake;
  return o;
}

}  // namespace claimsync::node
