// runClaimFlow: the whole frontend flow after the wallet sent the mint, without React
// (the hook in react/ is a thin wrapper): the tx hash, the hint (with the referral
// attestation), then waitForMembership. Bounded by timeoutMs once the tx hash is known,
// cancellable by `signal`; every step is reported through onState.

import type { ClaimSyncClient } from "./client.js";
import type { ClaimSyncError } from "./errors.js";
import type { AttestationJson, HintAnswer } from "./types.js";
import type { MembershipOutcome, WaitProgress } from "./wait.js";

// idle -> sending (the wallet's tx promise) -> waiting (hint sent, polling) -> one of
// member | no_claim | timeout | aborted | error.
export type ClaimFlowPhase = "idle" | "sending" | "waiting" | MembershipOutcome["status"];

export interface ClaimFlowState {
  phase: ClaimFlowPhase;
  txHash?: string;
  hint?: HintAnswer; // the node's latest answer about the tx
  progress?: WaitProgress;
  outcome?: MembershipOutcome;
  error?: ClaimSyncError; // set when phase is "error"
}

export interface ClaimFlowArgs {
  // The mint: its hash, or the wallet library's promise of it (viem's writeContract,
  // thirdweb's sendTransaction { transactionHash }, ethers' { hash }).
  tx: string | Promise<string | { transactionHash: string } | { hash: string }>;
  wallet: string;
  level: number;
  attestation?: AttestationJson;
  // How long to wait for membership once the hash is known. Default 120 s.
  timeoutMs?: number;
}

export const DEFAULT_CLAIM_TIMEOUT_MS = 120_000;

function hashOf(v: string | { transactionHash: string } | { hash: string }): string {
  if (typeof v === "string") return v;
  return "transactionHash" in v ? v.transactionHash : v.hash;
}

export async function runClaimFlow(
  client: ClaimSyncClient,
  args: ClaimFlowArgs,
  onState: (state: ClaimFlowState) => void,
  signal?: AbortSignal,
): Promise<MembershipOutcome> {
  const started = Date.now();
  const end = (state: ClaimFlowState, outcome: MembershipOutcome): MembershipOutcome => {
    onState({ ...state, phase: outcome.status, outcome, ...(outcome.status === "error" ? { error: outcome.error } : {}) });
    return outcome;
  };
  onState({ phase: "sending" });
  let txHash: string | undefined;
  try {
    txHash = await untilAborted(Promise.resolve(args.tx).then(hashOf), signal);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return end({ phase: "error" }, { status: "error", error: { kind: "transaction", message }, elapsedMs: Date.now() - started });
  }
  if (txHash === undefined) return end({ phase: "aborted" }, { status: "aborted", elapsedMs: Date.now() - started });
  let state: ClaimFlowState = { phase: "waiting", txHash };
  onState(state);

  // The first hint: its answer is shown at once. A failure that is not the node refusing
  // the request is not fatal: the wait below sends the hint again each round.
  const submitted = await client.submitClaim({
    txHash,
    ...(args.attestation ? { attestation: args.attestation } : {}),
    ...(signal ? { signal } : {}),
  });
  if (submitted.ok) {
    state = { ...state, hint: submitted.value };
    onState(state);
  } else if (submitted.error.kind === "aborted") {
    return end(state, { status: "aborted", elapsedMs: Date.now() - started });
  } else if (submitted.error.kind === "invalid_argument" || (submitted.error.kind === "http" && submitted.error.status === 400)) {
    return end(state, { status: "error", error: submitted.error, elapsedMs: Date.now() - started });
  }

  const outcome = await client.waitForMembership({
    wallet: args.wallet,
    level: args.level,
    txHash,
    timeoutMs: args.timeoutMs ?? DEFAULT_CLAIM_TIMEOUT_MS,
    ...(args.attestation ? { attestation: args.attestation } : {}),
    ...(signal ? { signal } : {}),
    onProgress: (progress) => {
      state = { ...state, progress, ...(progress.hint ? { hint: progress.hint } : {}) };
      onState(state);
    },
  });
  return end(state, outcome);
}

// `p`'s value, or undefined as soon as `signal` aborts (the wallet's promise itself cannot
// be cancelled; its result is then ignored).
function untilAborted<T>(p: Promise<T>, signal?: AbortSignal): Promise<T | undefined> {
  if (!signal) return p;
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(signal.aborted ? undefined : v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
