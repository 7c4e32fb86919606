// @claimsync/client: sign the referrer, hand the claim hint over, wait for membership.
export { createClaimSyncClient } from "./client.js";
export type { ClaimSyncClient, ClaimSyncClientOptions, SubmitClaimArgs } from "./client.js";
export { describeError, isRetryable } from "./errors.js";
export type { ClaimSyncError, Result } from "./errors.js";
export type { FetchLike } from "./http.js";
export type { RetryOptions } from "./retry.js";
export {
  attestationJson,
  EIP712_DOMAIN_TYPE,
  isAddress,
  isTxHash,
  MAX_ATTESTATION_TTL_SECONDS,
  REFERRAL_ATTESTATION_TYPES,
  referralTypedData,
  typedDataJson,
  ZERO_HASH,
} from "./typed_data.js";
export type { ReferralAttestationTypes, ReferralMessage, ReferralTypedData, ReferralTypedDataArgs } from "./typed_data.js";
export type * from "./types.js";
export type { MembershipOutcome, TimeoutReason, WaitForMembershipArgs, WaitProgress } from "./wait.js";
export { DEFAULT_CLAIM_TIMEOUT_MS, runClaimFlow } from "./flow.js";
export type { ClaimFlowArgs, ClaimFlowPhase, ClaimFlowState } from "./flow.js";
