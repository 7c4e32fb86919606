// The intake as configured by [chain] and [intake]: the one place that maps the node's
// config onto IntakeOptions.
#pragma once

#include "node/config.hpp"
#include "node/intake/intake_service.hpp"

namespace claimsync::node {

// chain_id, contract, levels from [chain]; replicate, workers, queue_limit, max_tracked,
// watch (s -> ms), recheck_ms from [intake]; source = intake.
IntakeOptions intake_options(const Config& config);

}  // namespace claimsync::node
