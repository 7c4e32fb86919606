// default_attestation_checks: the intake's attestation checks bound to the real verifier.
#include "node/intake/intake_service.hpp"

namespace claimsync::node {

AttestationChecks default_attestation_checks(eth::ChainSource& chain) {
  AttestationChecks checks;
  checks.parse = [](const nlohmann::json& j) { return parse_referral_attestation(j); };
  checks.verify = [&chain](const ReferralAttestation& a, const AttestationContext& context) {
    return verify_referral_attestation(a, context, chain);
  };
  return checks;
}

}  // namespace claimsync::node
