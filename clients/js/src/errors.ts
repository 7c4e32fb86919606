// Errors as values: every client call resolves to a Result, never throws for a failure
// of the network or the node.

export type ClaimSyncError =
  // The node answered with an error body {"error": {"code", "message"}} (or a proxy with
  // something else: code "http_<status>"). retryAfterMs from a Retry-After header.
  | { kind: "http"; status: number; code: string; message: string; retryAfterMs?: number }
  // No answer: connection refused, DNS, TLS, a reset, or the per-request timeout.
  | { kind: "network"; message: string }
  // An answer that is not the JSON the API documents.
  | { kind: "invalid_response"; status: number; message: string }
  // The caller's AbortSignal fired.
  | { kind: "aborted"; message: string }
  // The wallet's transaction promise rejected (the user declined, or sending failed).
  | { kind: "transaction"; message: string }
  // The caller passed something the API would refuse (checked before any request).
  | { kind: "invalid_argument"; message: string };

export type Result<T> = { ok: true; value: T } | { ok: false; error: ClaimSyncError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(error: ClaimSyncError): Result<T> {
  return { ok: false, error };
}

// Worth another try: the network, a full node (429), an overloaded or stopping node or
// proxy (502/503/504). Anything else is an answer.
export function isRetryable(error: ClaimSyncError): boolean {
  if (error.kind === "network") return true;
  if (error.kind !== "http") return false;
  return error.status === 429 || error.status === 502 || error.status === 503 || error.status === 504;
}

// One line for a log or a UI.
export function describeError(error: ClaimSyncError): string {
  switch (error.kind) {
    case "http":
      return `HTTP ${error.status} ${error.code}: ${error.message}`;
    case "invalid_response":
      return `unexpected answer (HTTP ${error.status}): ${error.message}`;
    default:
      return `${error.kind}: ${error.message}`;
  }
}
