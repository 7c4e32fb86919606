// Light checks that an answer has the shape the API documents (types.ts), so that the
// rest of the client can rely on the fields it reads. Unknown fields are kept.

import { fail, ok, type Result } from "./errors.js";
import type { HintAnswer, TxClaims, WalletView } from "./types.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function bad<T>(what: string): Result<T> {
  return fail({ kind: "invalid_response", status: 200, message: `not a ${what}` });
}

export function asHintAnswer(v: unknown): Result<HintAnswer> {
  if (!isObject(v) || typeof v.status !== "string" || typeof v.tx_hash !== "string") return bad("claim hint answer");
  if (v.claims !== undefined && !Array.isArray(v.claims)) return bad("claim hint answer");
  return ok(v as unknown as HintAnswer);
}

export function asTxClaims(v: unknown): Result<TxClaims> {
  if (!isObject(v) || typeof v.tx_hash !== "string" || !Array.isArray(v.claims)) return bad("claims answer");
  return ok(v as unknown as TxClaims);
}

export function asWalletView(v: unknown): Result<WalletView> {
  if (!isObject(v) || typeof v.wallet !== "string" || !Array.isArray(v.levels)) return bad("wallet answer");
  for (const l of v.levels) {
    if (!isObject(l) || typeof l.level !== "number" || !Array.isArray(l.states)) return bad("wallet answer");
  }
  return ok(v as unknown as WalletView);
}
