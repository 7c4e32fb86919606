// One request to the node: a per-request timeout, the caller's signal, the error body
// {"error": {"code", "message"}} turned into a ClaimSyncError, and bounded retries for
// what is worth retrying (errors.ts isRetryable), honouring Retry-After.

import { fail, isRetryable, ok, type ClaimSyncError, type Result } from "./errors.js";
import { backoffMs, linkedSignal, parseRetryAfter, sleep, type RetryPolicy } from "./retry.js";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface Transport {
  baseUrl: string;
  fetch: FetchLike;
  requestTimeoutMs: number;
  retry: RetryPolicy;
}

export interface Answer {
  status: number;
  body: unknown;
}

function errorFrom(status: number, body: unknown, retryAfter: string | null): ClaimSyncError {
  const retryAfterMs = parseRetryAfter(retryAfter);
  const e = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const code = typeof e?.code === "string" ? e.code : `http_${status}`;
  const message = typeof e?.message === "string" ? e.message : `HTTP ${status}`;
  return retryAfterMs === undefined
    ? { kind: "http", status, code, message }
    : { kind: "http", status, code, message, retryAfterMs };
}

// A single try. 2xx is ok with the parsed body; anything else an error.
export async function requestOnce(
  t: Transport,
  method: "GET" | "POST",
  path: string,
  body: unknown,
  signal?: AbortSignal,
): Promise<Result<Answer>> {
  if (signal?.aborted) return fail({ kind: "aborted", message: "aborted before the request" });
  const link = linkedSignal(signal, t.requestTimeoutMs);
  try {
    const init: RequestInit = { method, signal: link.signal, headers: { accept: "application/json" } };
    if (body !== undefined) {
      init.headers = { accept: "application/json", "content-type": "application/json" };
      init.body = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await t.fetch(t.baseUrl + path, init);
    } catch (e) {
      if (signal?.aborted) return fail({ kind: "aborted", message: "aborted" });
      const why = link.timedOut() ? `no answer within ${t.requestTimeoutMs} ms` : causeOf(e);
      return fail({ kind: "network", message: `${method} ${path}: ${why}` });
    }
    let text: string;
    try {
      text = await response.text();
    } catch (e) {
      if (signal?.aborted) return fail({ kind: "aborted", message: "aborted" });
      return fail({ kind: "network", message: `${method} ${path}: reading the answer: ${causeOf(e)}` });
    }
    let parsed: unknown = null;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        if (response.ok) {
          return fail({ kind: "invalid_response", status: response.status, message: `${method} ${path}: not JSON` });
        }
      }
    }
    if (!response.ok) return fail(errorFrom(response.status, parsed, response.headers.get("retry-after")));
    return ok({ status: response.status, body: parsed });
  } finally {
    link.dispose();
  }
}

// Up to retry.attempts tries while the failure is retryable. A Retry-After longer than
// retry.maxRetryAfterMs ends the tries with that error.
export async function requestWithRetry(
  t: Transport,
  method: "GET" | "POST",
  path: string,
  body: unknown,
  signal?: AbortSignal,
): Promise<Result<Answer>> {
  let last: Result<Answer> = fail({ kind: "aborted", message: "no try was made" });
  for (let attempt = 0; attempt < t.retry.attempts; ++attempt) {
    last = await requestOnce(t, method, path, body, signal);
    if (last.ok || !isRetryable(last.error) || attempt + 1 === t.retry.attempts) return last;
    let delay = backoffMs(t.retry, attempt);
    const e = last.error;
    if (e.kind === "http" && e.retryAfterMs !== undefined) {
      if (e.retryAfterMs > t.retry.maxRetryAfterMs) return last;
      delay = Math.max(delay, e.retryAfterMs);
    }
    if (!(await sleep(delay, signal))) return fail({ kind: "aborted", message: "aborted while backing off" });
  }
  return last;
}

function causeOf(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as Error & { cause?: unknown }).cause;
    const detail = cause instanceof Error ? `: ${cause.message}` : "";
    return `${e.message}${detail}`;
  }
  return String(e);
}
