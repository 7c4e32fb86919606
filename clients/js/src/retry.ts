// Bounded retries: exponential backoff with jitter, a Retry-After header wins when it
// asks for longer (capped), and every sleep ends early when the caller aborts.

export interface RetryOptions {
  // Tries in all, the first included (>= 1). Default 4.
  attempts?: number;
  // The first backoff; doubled each try up to maxDelayMs. Defaults 250 ms and 4 s.
  initialDelayMs?: number;
  maxDelayMs?: number;
  // The longest Retry-After honoured; a node asking for more ends the retries with its
  // answer (retryAfterMs in the error says when). Default 30 s.
  maxRetryAfterMs?: number;
}

export interface RetryPolicy {
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
}

export function retryPolicy(o: RetryOptions = {}): RetryPolicy {
  const attempts = Math.max(1, Math.floor(o.attempts ?? 4));
  const initialDelayMs = Math.max(0, o.initialDelayMs ?? 250);
  const maxDelayMs = Math.max(initialDelayMs, o.maxDelayMs ?? 4_000);
  const maxRetryAfterMs = Math.max(0, o.maxRetryAfterMs ?? 30_000);
  return { attempts, initialDelayMs, maxDelayMs, maxRetryAfterMs };
}

// The backoff before try number `attempt + 1` (attempt counts from 0): full jitter in
// [d/2, d] so that many clients do not retry in step.
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const d = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt, 20));
  return Math.round(d / 2 + (Math.random() * d) / 2);
}

// Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or
// unreadable.
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

// Resolves after `ms`, or false at once when `signal` aborts (true when the time passed).
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

// A signal that aborts when `parent` does or after `timeoutMs`; dispose() releases the
// timer and the listener. (AbortSignal.any is not in every browser yet.)
export function linkedSignal(
  parent: AbortSignal | undefined,
  timeoutMs: number,
): { signal: AbortSignal; timedOut: () => boolean; dispose: () => void } {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`timed out after ${timeoutMs} ms`));
  }, timeoutMs);
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose: () => {
      clearTimeout(timer);
      parent?.removeEventListener("abort", onAbort);
    },
  };
}
