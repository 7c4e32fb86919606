// createClaimSyncClient: the typed client of a claimsync node's HTTP API (README "HTTP
// API"). Every method resolves to a Result (errors.ts) or an outcome; none throws for a
// failure of the network or the node, and every wait is bounded and cancellable.

import { fail, ok, type Result } from "./errors.js";
import { requestWithRetry, type FetchLike, type Transport } from "./http.js";
import { retryPolicy, type RetryOptions } from "./retry.js";
import {
  attestationJson,
  isAddress,
  isTxHash,
  referralTypedData,
  type ReferralTypedData,
  type ReferralTypedDataArgs,
} from "./typed_data.js";
import type { AttestationJson, HintAnswer, TxClaims, WalletView } from "./types.js";
import { asHintAnswer, asTxClaims, asWalletView } from "./validate.js";
import { waitForMembership, type MembershipOutcome, type WaitForMembershipArgs } from "./wait.js";

export interface ClaimSyncClientOptions {
  // The node's API, e.g. "https://claims.example.org" (a trailing "/" is dropped).
  baseUrl: string;
  // Defaults to globalThis.fetch.
  fetch?: FetchLike;
  // One request's limit. Default 10 s.
  requestTimeoutMs?: number;
  // submitClaim, getClaim and getWallet retries (network errors, 429, 502-504).
  retry?: RetryOptions;
}

export interface SubmitClaimArgs {
  txHash: string;
  attestation?: AttestationJson;
  signal?: AbortSignal;
}

export interface ClaimSyncClient {
  readonly baseUrl: string;
  referralTypedData(args: ReferralTypedDataArgs): Result<ReferralTypedData>;
  attestationJson(typedData: ReferralTypedData, signature: string): Result<AttestationJson>;
  // POST /v1/claims: the hint. Idempotent (the node keeps one entry per tx), so it is
  // safe to send again; the answer says where the tx stands (HintStatus).
  submitClaim(args: SubmitClaimArgs): Promise<Result<HintAnswer>>;
  // GET /v1/claims/{tx}: the tx's claims in the node's store; null when it holds none.
  getClaim(txHash: string, signal?: AbortSignal): Promise<Result<TxClaims | null>>;
  // GET /v1/wallets/{address}: the wallet's levels and their states.
  getWallet(address: string, signal?: AbortSignal): Promise<Result<WalletView>>;
  waitForMembership(args: WaitForMembershipArgs): Promise<MembershipOutcome>;
}

export function createClaimSyncClient(options: ClaimSyncClientOptions): ClaimSyncClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const t: Transport = {
    baseUrl,
    fetch: fetchFn,
    requestTimeoutMs: Math.max(1, options.requestTimeoutMs ?? 10_000),
    retry: retryPolicy(options.retry),
  };
  const invalid = (message: string) => fail<never>({ kind: "invalid_argument", message });

  return {
    baseUrl,
    referralTypedData,
    attestationJson,

    async submitClaim({ txHash, attestation, signal }) {
      if (!isTxHash(txHash)) return invalid("txHash must be 0x followed by 64 hex digits");
      const body: Record<string, unknown> = { tx_hash: txHash.toLowerCase() };
      if (attestation !== undefined) body.attestation = attestation;
      const r = await requestWithRetry(t, "POST", "/v1/claims", body, signal);
      return r.ok ? asHintAnswer(r.value.body) : r;
    },

    async getClaim(txHash, signal) {
      if (!isTxHash(txHash)) return invalid("txHash must be 0x followed by 64 hex digits");
      const r = await requestWithRetry(t, "GET", `/v1/claims/${txHash.toLowerCase()}`, undefined, signal);
      if (!r.ok) {
        const e = r.error;
        return e.kind === "http" && e.status === 404 && e.code === "not_found" ? ok(null) : r;
      }
      return asTxClaims(r.value.body);
    },

    async getWallet(address, signal) {
      if (!isAddress(address)) return invalid("address must be 0x followed by 40 hex digits");
      const r = await requestWithRetry(t, "GET", `/v1/wallets/${address.toLowerCase()}`, undefined, signal);
      return r.ok ? asWalletView(r.value.body) : r;
    },

    waitForMembership(args) {
      return waitForMembership(t, args);
    },
  };
}
