/**
 * The few HTTP helpers `npm run verify` and the end-to-end suite share: a bounded GET that never throws on an HTTP
 * status (callers judge statuses), a readable reason when a server cannot be reached, and a bounded poll.
 */

/** The default bound of one HTTP request, in milliseconds. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

/** Credentials for HTTP basic authentication. */
export interface BasicAuth {
  readonly user: string;
  readonly password: string;
}

/** Options of {@link httpRequest}. */
export interface HttpRequestOptions {
  /** @default "GET" */
  readonly method?: "GET" | "POST";
  /** Abandon the request after this many milliseconds. @default 5000 */
  readonly timeoutMs?: number;
  /** Sent as an `Authorization: Basic ...` header. @default none */
  readonly basicAuth?: BasicAuth;
  /** A form body (`application/x-www-form-urlencoded`), as Prometheus' query API takes it. @default none */
  readonly form?: Readonly<Record<string, string>>;
}

/** What a server answered: the status, the raw body, and the body parsed as JSON when it is JSON. */
export interface HttpResponse {
  readonly url: string;
  readonly status: number;
  readonly text: string;
  /** The parsed body, or `undefined` when the body is not JSON. */
  readonly json: unknown;
}

/** Thrown when no HTTP answer arrived at all: connection refused, unknown host, timeout. */
export class UnreachableError extends Error {
  /** The URL asked for. */
  public readonly url: string;
  /** Why, as the operating system or the timeout put it (`connect ECONNREFUSED 127.0.0.1:8000`). */
  public readonly reason: string;

  constructor(url: string, reason: string) {
    super(`cannot reach ${url}: ${reason}`);
    this.name = "UnreachableError";
    this.url = url;
    this.reason = reason;
  }
}

/**
 * Sends one request and resolves with whatever status the server answered; rejects only with
 * {@link UnreachableError} when no answer arrived within the timeout.
 * @example const { status, json } = await httpRequest("http://127.0.0.1:9090/api/v1/targets");
 */
export async function httpRequest(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.basicAuth !== undefined) {
    const token = Buffer.from(`${options.basicAuth.user}:${options.basicAuth.password}`).toString("base64");
    headers.authorization = `Basic ${token}`;
  }
  let body: string | undefined;
  if (options.form !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(options.form).toString();
  }
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: options.method ?? (body === undefined ? "GET" : "POST"),
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    throw new UnreachableError(url, unreachableReason(error, timeoutMs));
  }
  return { url, status: response.status, text, json: parseJson(text) };
}

/**
 * The reason a fetch failed, without the generic "fetch failed": the cause's message, or the timeout. Read by shape,
 * not `instanceof`, so errors from another realm (a test sandbox) read the same.
 */
export function unreachableReason(error: unknown, timeoutMs: number): string {
  const { name, message, cause } = (isObject(error) ? error : {}) as {
    name?: unknown;
    message?: unknown;
    cause?: unknown;
  };
  if (name === "TimeoutError" || name === "AbortError") {
    return `no answer within ${timeoutMs} ms`;
  }
  if (isObject(cause) && typeof cause.message === "string" && cause.message !== "") {
    return cause.message;
  }
  return typeof message === "string" ? message : String(error);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The `message` field of a JSON error body, or a short excerpt of the raw body. */
export function messageOf(response: HttpResponse): string {
  if (isObject(response.json) && typeof response.json.message === "string") {
    return response.json.message;
  }
  const text = response.text.trim();
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Options of {@link pollUntil}. */
export interface PollOptions {
  /** Give up after this many milliseconds. */
  readonly timeoutMs: number;
  /** Wait between attempts, in milliseconds. @default 250 */
  readonly intervalMs?: number;
  /** Says what was waited for, in the timeout error. */
  readonly what: string;
}

/**
 * Calls `attempt` until it returns a value other than `undefined` and resolves with it; rejects with the last
 * attempt's error (or "still undefined") once `timeoutMs` have passed. Always bounded.
 * @example const up = await pollUntil(async () => ((await isUp()) ? true : undefined), { timeoutMs: 10_000, what: "the API" });
 */
export async function pollUntil<T>(attempt: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const intervalMs = options.intervalMs ?? 250;
  const deadline = Date.now() + options.timeoutMs;
  let lastProblem = "the condition never held";
  for (let round = 0; ; round++) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() + intervalMs > deadline) {
      throw new Error(
        `timed out after ${options.timeoutMs} ms (${round + 1} attempts) waiting for ${options.what}: ${lastProblem}`,
      );
    }
    await sleep(intervalMs);
  }
}
