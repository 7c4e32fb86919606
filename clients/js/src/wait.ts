// waitForMembership: polls the node until a wallet's level is replicated (a claim of that
// level in state "done"), bounded by timeoutMs and cancellable by an AbortSignal. With
// the mint's txHash it also hands the hint over each round (idempotent on the node) and
// learns early when the tx holds no claim for that wallet and level.

import { describeError, isRetryable, type ClaimSyncError } from "./errors.js";
import { requestOnce, type Transport } from "./http.js";
import { linkedSignal, sleep } from "./retry.js";
import { isAddress, isTxHash } from "./typed_data.js";
import type { AttestationJson, HintAnswer, WalletLevel, WalletView } from "./types.js";
import { asHintAnswer, asWalletView } from "./validate.js";

export interface WaitForMembershipArgs {
  wallet: string;
  level: number;
  // The mint's tx: hints are sent for it, and a tx without such a claim ends the wait.
  txHash?: string;
  // Sent along with each hint: a referral lost with a failed submitClaim still arrives
  // (the node keeps the first valid one; the same one again costs nothing).
  attestation?: AttestationJson;
  timeoutMs: number;
  signal?: AbortSignal;
  // The first pause between rounds, growing 1.5x up to maxPollIntervalMs.
  // Defaults 500 ms and 3 s.
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  // After each round: what the node said (for a progress line in the UI).
  onProgress?: (progress: WaitProgress) => void;
}

export interface WaitProgress {
  elapsedMs: number;
  reachable: boolean;
  hint?: HintAnswer;
  wallet?: WalletView;
  error?: ClaimSyncError;
}

// Why a wait ended without membership:
//   verifying    the node is still verifying the tx (not mined yet, awaiting finality,
//                or the chain could not be read): the claim may still come
//   replicating  the node holds the claim, its rows are not in the database yet (see
//                `states`; "dead" needs the operator's `claims retry`)
//   not_seen     no txHash was given and the node holds no claim of that level yet
//   unreachable  the last round got no answer: network, or the node overloaded/stopping
export type TimeoutReason = "verifying" | "replicating" | "not_seen" | "unreachable";

export type MembershipOutcome =
  | { status: "member"; wallet: WalletView; level: WalletLevel; elapsedMs: number }
  // The node verified the tx and it holds no claim of that level for that wallet:
  // `answer.status` is no_claim / not_found, or claimed (for other wallets or levels).
  | { status: "no_claim"; txHash: string; answer: HintAnswer; message: string; elapsedMs: number }
  | {
      status: "timeout";
      reason: TimeoutReason;
      message: string;
      elapsedMs: number;
      lastHint?: HintAnswer;
      lastError?: ClaimSyncError;
      states?: string[];
    }
  | { status: "aborted"; elapsedMs: number }
  // The node refused the request itself (a bad address, a wrong baseUrl): waiting longer
  // would not change it.
  | { status: "error"; error: ClaimSyncError; elapsedMs: number };

const FINAL_NO_CLAIM = new Set(["no_claim", "not_found"]);

export async function waitForMembership(t: Transport, args: WaitForMembershipArgs): Promise<MembershipOutcome> {
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  const invalid = (message: string): MembershipOutcome => ({
    status: "error",
    error: { kind: "invalid_argument", message },
    elapsedMs: 0,
  });
  if (!isAddress(args.wallet)) return invalid("wallet must be 0x followed by 40 hex digits");
  if (!Number.isSafeInteger(args.level) || args.level < 0) return invalid("level must be a non-negative integer");
  if (args.txHash !== undefined && !isTxHash(args.txHash)) return invalid("txHash must be 0x followed by 64 hex digits");
  if (!(args.timeoutMs > 0)) return invalid("timeoutMs must be positive");
  const wallet = args.wallet.toLowerCase();
  let interval = Math.max(50, args.pollIntervalMs ?? 500);
  const maxInterval = Math.max(interval, args.maxPollIntervalMs ?? 3_000);

  // Every request of the wait shares one deadline.
  const link = linkedSignal(args.signal, args.timeoutMs);
  let sendHints = args.txHash !== undefined;
  const hintBody: Record<string, unknown> = { tx_hash: args.txHash?.toLowerCase() };
  if (args.attestation !== undefined) hintBody.attestation = args.attestation;
  let lastHint: HintAnswer | undefined;
  let lastWallet: WalletView | undefined;
  let lastError: ClaimSyncError | undefined;
  let reachable = true;
  try {
    for (;;) {
      let retryAfterMs = 0;
      // A failed request: a non-retryable one ends the wait, an aborted one ends the round.
      const failed = (e: ClaimSyncError): "stop" | "abort" | "continue" => {
        if (e.kind === "aborted") return "abort";
        if (!isRetryable(e)) return "stop";
        reachable = false;
        lastError = e;
        if (e.kind === "http" && e.retryAfterMs !== undefined) retryAfterMs = Math.max(retryAfterMs, e.retryAfterMs);
        return "continue";
      };

      const w = await requestOnce(t, "GET", `/v1/wallets/${wallet}`, undefined, link.signal);
      if (w.ok) {
        const view = asWalletView(w.value.body);
        if (!view.ok) return { status: "error", error: view.error, elapsedMs: elapsed() };
        reachable = true;
        lastError = undefined;
        lastWallet = view.value;
        const level = view.value.levels.find((l) => l.level === args.level);
        if (level?.states.includes("done")) {
          return { status: "member", wallet: view.value, level, elapsedMs: elapsed() };
        }
      } else {
        const what = failed(w.error);
        if (what === "abort") break;
        if (what === "stop") return { status: "error", error: w.error, elapsedMs: elapsed() };
      }

      if (sendHints && w.ok) {
        const h = await requestOnce(t, "POST", "/v1/claims", hintBody, link.signal);
        if (h.ok) {
          const hint = asHintAnswer(h.value.body);
          if (!hint.ok) return { status: "error", error: hint.error, elapsedMs: elapsed() };
          lastHint = hint.value;
          const ended = noClaimFor(hint.value, wallet, args.level);
          if (ended !== undefined) {
            return { status: "no_claim", txHash: args.txHash!, answer: hint.value, message: ended, elapsedMs: elapsed() };
          }
        } else if (h.error.kind === "http" && h.error.code === "intake_unavailable") {
          sendHints = false; // the node serves no intake: its scan finds the mint anyway
        } else {
          const what = failed(h.error);
          if (what === "abort") break;
          if (what === "stop") return { status: "error", error: h.error, elapsedMs: elapsed() };
        }
      }

      const progress: WaitProgress = { elapsedMs: elapsed(), reachable };
      if (lastHint) progress.hint = lastHint;
      if (lastWallet) progress.wallet = lastWallet;
      if (lastError) progress.error = lastError;
      args.onProgress?.(progress);

      const pause = Math.max(interval, retryAfterMs);
      interval = Math.min(maxInterval, Math.round(interval * 1.5));
      if (!(await sleep(pause, link.signal))) break;
    }
  } finally {
    link.dispose();
  }
  if (args.signal?.aborted) return { status: "aborted", elapsedMs: elapsed() };
  return timedOut(args, elapsed(), reachable, lastHint, lastWallet, lastError);
}

// A final answer that rules the wallet's level out of this tx: the reason, else undefined.
function noClaimFor(hint: HintAnswer, wallet: string, level: number): string | undefined {
  if (FINAL_NO_CLAIM.has(hint.status)) return hint.reason ?? `the node answered ${hint.status}`;
  if (hint.status !== "claimed" || !hint.claims) return undefined;
  if (hint.claims.some((c) => c.wallet === wallet && c.level === level)) return undefined;
  const found = hint.claims.map((c) => `level ${c.level} for ${c.wallet}`).join(", ");
  return `the tx mints ${found}, not level ${level} for ${wallet}`;
}

function timedOut(
  args: WaitForMembershipArgs,
  elapsedMs: number,
  reachable: boolean,
  lastHint: HintAnswer | undefined,
  lastWallet: WalletView | undefined,
  lastError: ClaimSyncError | undefined,
): MembershipOutcome {
  const base = { status: "timeout" as const, elapsedMs };
  const extra = { ...(lastHint ? { lastHint } : {}), ...(lastError ? { lastError } : {}) };
  const after = `after ${Math.round(elapsedMs / 100) / 10} s`;
  if (!reachable) {
    const why = lastError ? describeError(lastError) : "no answer";
    return { ...base, ...extra, reason: "unreachable", message: `the node did not answer ${after} (${why})` };
  }
  const states = lastWallet?.levels.find((l) => l.level === args.level)?.states;
  const matching = lastHint?.claims?.find((c) => c.wallet === args.wallet.toLowerCase() && c.level === args.level);
  if (states && states.length > 0) {
    return {
      ...base,
      ...extra,
      states,
      reason: "replicating",
      message: `the node holds the claim; not yet in the database ${after} (states: ${states.join(", ")})`,
    };
  }
  if (lastHint && (lastHint.status !== "claimed" || matching?.state == null)) {
    const why = lastHint.reason ? `: ${lastHint.reason}` : "";
    return { ...base, ...extra, reason: "verifying", message: `the node is still verifying the tx ${after} (${lastHint.status}${why})` };
  }
  if (matching) {
    return { ...base, ...extra, reason: "replicating", message: `the claim is verified; not yet in the database ${after}` };
  }
  return { ...base, ...extra, reason: "not_seen", message: `the node holds no claim of level ${args.level} for this wallet ${after}` };
}

