import { ErrorBody, redactText } from "@liverelay/api";
import axios, { type AxiosInstance } from "axios";
import type { z } from "zod";
import { abortable, abortError } from "./abort";
import { apiErrorFor, ConnectionError, LiveRelayAbortError, LiveRelayError, ResponseValidationError, TimeoutError, type ValidationIssue } from "./errors";
import { methodIsRetryable, parseRetryAfter, retryDelayMs, statusIsRetryable, type BackoffOptions } from "./retry";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export type Query = Record<string, string | number | boolean | null | undefined>;

export interface TransportOptions {
  /** Normalised: no trailing slash. */
  baseUrl: string;
  token: string;
  timeoutMs: number;
  maxRetries: number;
  backoff: BackoffOptions;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  userAgent: string;
  /** Sent with every request, under the request's own `headers`. */
  defaultHeaders: Record<string, string>;
}

/** The last argument of every method: per-call settings. */
export interface RequestOptions {
  /** Cancels the call: before it is sent, while it is in flight, or while it waits to retry (LiveRelayAbortError). */
  signal?: AbortSignal;
  /**
   * Deadline of the whole call, in ms: every attempt and every wait between attempts included
   * (TimeoutError when it passes). Default: the client's `timeoutMs` (30 000 ms).
   */
  timeoutMs?: number;
  /** Retries after the first attempt. Default: the client's `maxRetries` (3). */
  maxRetries?: number;
  /** Extra request headers, over the client's `defaultHeaders`. `authorization` cannot be overridden. */
  headers?: Record<string, string>;
  /** Sent as `Idempotency-Key`; a POST that has one is retried like the other methods. */
  idempotencyKey?: string;
}

export interface RequestSpec extends RequestOptions {
  method: Method;
  /** Path with every segment already encoded, e.g. `/v1/domains/a.example/relay-templates`. */
  path: string;
  query?: Query;
  body?: unknown;
  /** The response body is bytes (a file), not JSON: any media type is accepted. */
  binary?: boolean;
}

/** A binary (file) response: its bytes and the headers a caller may need. */
export interface BinaryResponse {
  status: number;
  data: Buffer;
  contentType: string | undefined;
  /** `bytes start-end/size` on a 206. */
  contentRange: string | undefined;
}

interface RawResponse {
  status: number;
  headers: Record<string, unknown>;
  text: string;
  /** The bytes, for binary requests. */
  data?: Buffer;
}

type Attempt = { kind: "response"; response: RawResponse } | { kind: "failure"; error: LiveRelayError };

const header = (headers: Record<string, unknown>, name: string): string | undefined => {
  const value = headers[name];
  return typeof value === "string" ? value : Array.isArray(value) && typeof value[0] === "string" ? value[0] : undefined;
};

/**
 * One HTTP call with retries, error mapping and response validation. Holds the only axios
 * instance, created per client (never at import).
 */
export class Transport {
  private readonly axios: AxiosInstance;

  constructor(private readonly o: TransportOptions) {
    this.axios = axios.create({
      adapter: "http",
      maxRedirects: 0,
      responseType: "text",
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
    });
  }

  /** Waits `ms` (the client's sleep), or rejects with LiveRelayAbortError when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return abortable(this.o.sleep(ms, signal), signal);
  }

  /** A call answered with JSON, parsed with `schema`. */
  async json<S extends z.ZodType>(schema: S, spec: RequestSpec): Promise<z.output<S>> {
    const response = await this.send(spec);
    return this.parse(schema, response, spec);
  }

  /** A call answered with a file: its bytes (a 2xx); errors are mapped like JSON calls. */
  async bytes(spec: RequestSpec): Promise<BinaryResponse> {
    const response = await this.send({ ...spec, binary: true });
    return {
      status: response.status,
      data: response.data ?? Buffer.alloc(0),
      contentType: header(response.headers, "content-type"),
      contentRange: header(response.headers, "content-range"),
    };
  }

  /**
   * A long-lived response read as it comes (Server-Sent Events): the body stream once a 2xx
   * arrives (`timeoutMs` bounds only the wait for it), else the mapped error. No retries here:
   * the caller resumes. `signal` ends the request.
   */
  async stream(spec: RequestSpec & { signal: AbortSignal }): Promise<AsyncIterable<Buffer>> {
    const connect = new AbortController();
    const timer = setTimeout(() => connect.abort(), spec.timeoutMs ?? this.o.timeoutMs);
    const signal = AbortSignal.any([spec.signal, connect.signal]);
    try {
      const res = await this.axios.request<NodeJS.ReadableStream & AsyncIterable<Buffer>>({
        method: spec.method,
        url: this.o.baseUrl + spec.path + queryString(spec.query),
        headers: { ...this.headers(spec), accept: "text/event-stream" },
        signal,
        responseType: "stream",
      });
      if (res.status >= 200 && res.status < 300) return res.data;
      const chunks: Buffer[] = [];
      for await (const chunk of res.data) chunks.push(chunk);
      const text = Buffer.concat(chunks).toString("utf8");
      throw this.apiError({ status: res.status, headers: res.headers as Record<string, unknown>, text }, parseRetryAfter(header(res.headers as Record<string, unknown>, "retry-after")));
    } catch (err) {
      if (err instanceof LiveRelayError) throw err;
      if (connect.signal.aborted && !spec.signal.aborted) throw new TimeoutError(`${this.label(spec)}: no response within ${spec.timeoutMs ?? this.o.timeoutMs} ms`, spec.timeoutMs ?? this.o.timeoutMs);
      const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
      throw new ConnectionError(this.scrub(`${this.label(spec)} failed: ${typeof message === "string" ? message : "request failed"}`), typeof code === "string" ? code : undefined);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A call answered with 204 (or any 2xx whose body does not matter). */
  async empty(spec: RequestSpec): Promise<void> {
    await this.send(spec);
  }

  /**
   * Makes text safe for an error message: stream keys in rtmp/srt URLs, query strings of
   * http URLs (a `destinationUrl` filter holds a key) and the token itself are masked.
   */
  scrub(text: string): string {
    let out = redactText(text).replace(/\b(https?:\/\/[^\s?#'"]*)\?[^\s'"]*/gi, "$1?***");
    if (this.o.token.length >= 8) out = out.split(this.o.token).join("***");
    return out;
  }

  private async send(spec: RequestSpec): Promise<RawResponse> {
    const maxRetries = spec.maxRetries ?? this.o.maxRetries;
    const timeoutMs = spec.timeoutMs ?? this.o.timeoutMs;
    const deadline = Date.now() + timeoutMs;
    const retryable = methodIsRetryable(spec.method, spec.idempotencyKey);
    for (let attempt = 0; ; attempt++) {
      if (spec.signal?.aborted) throw abortError(this.label(spec));
      const result = await this.attempt(spec, deadline, timeoutMs);
      let error: LiveRelayError;
      let retryAfterMs: number | undefined;
      if (result.kind === "response") {
        const { response } = result;
        if (response.status >= 200 && response.status < 300) return response;
        retryAfterMs = parseRetryAfter(header(response.headers, "retry-after"));
        error = this.apiError(response, retryAfterMs);
        if (!statusIsRetryable(response.status)) throw error;
      } else {
        error = result.error;
      }
      if (!retryable || attempt >= maxRetries || error instanceof LiveRelayAbortError) throw error;
      const delay = retryDelayMs(attempt, retryAfterMs, this.o.backoff);
      // A retry that could not start before the deadline would only turn this error into a TimeoutError.
      if (Date.now() + delay >= deadline) throw error;
      await this.sleep(delay, spec.signal).catch((err: unknown) => {
        throw err instanceof LiveRelayAbortError ? abortError(this.label(spec)) : err;
      });
    }
  }

  private headers(spec: RequestSpec): Record<string, string> {
    const headers: Record<string, string> = { accept: spec.binary ? "*/*" : "application/json", "user-agent": this.o.userAgent };
    // Header names are case-insensitive: lowercase them so a caller's `Accept` replaces ours instead of doubling it.
    for (const extra of [this.o.defaultHeaders, spec.headers ?? {}]) {
      for (const [name, value] of Object.entries(extra)) headers[name.toLowerCase()] = value;
    }
    headers.authorization = `Bearer ${this.o.token}`;
    if (spec.body !== undefined) headers["content-type"] = "application/json";
    if (spec.idempotencyKey !== undefined) headers["idempotency-key"] = spec.idempotencyKey;
    return headers;
  }

  private async attempt(spec: RequestSpec, deadline: number, timeoutMs: number): Promise<Attempt> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), Math.max(0, deadline - Date.now()));
    const onAbort = () => controller.abort();
    spec.signal?.addEventListener("abort", onAbort, { once: true });
    const headers = this.headers(spec);
    try {
      const res = await this.axios.request<string | Buffer>({
        method: spec.method,
        url: this.o.baseUrl + spec.path + queryString(spec.query),
        data: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        headers,
        signal: controller.signal,
        responseType: spec.binary ? "arraybuffer" : "text",
      });
      const data = Buffer.isBuffer(res.data) ? res.data : undefined;
      // A binary call's error body is still the API's JSON: decoded for the error mapping.
      const text = typeof res.data === "string" ? res.data : (data?.toString("utf8") ?? "");
      return { kind: "response", response: { status: res.status, headers: res.headers as Record<string, unknown>, text, data } };
    } catch (err) {
      // The caught error holds the request config (Authorization header, URL, body): keep only its code and message.
      if (spec.signal?.aborted) return { kind: "failure", error: abortError(this.label(spec)) };
      if (controller.signal.aborted) {
        return { kind: "failure", error: new TimeoutError(`${this.label(spec)}: no response within ${timeoutMs} ms`, timeoutMs) };
      }
      const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
      const systemCode = typeof code === "string" ? code : undefined;
      const detail = typeof message === "string" && message !== "" ? message : (systemCode ?? "request failed");
      return { kind: "failure", error: new ConnectionError(this.scrub(`${this.label(spec)} failed: ${detail}`), systemCode) };
    } finally {
      clearTimeout(timer);
      spec.signal?.removeEventListener("abort", onAbort);
    }
  }

  private apiError(response: RawResponse, retryAfterMs: number | undefined) {
    const { status, text } = response;
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = ErrorBody.safeParse(json);
    if (parsed.success) {
      const { code, field, requestId } = parsed.data.error;
      const message = this.scrub(parsed.data.error.message);
      const body = { error: { code, message, ...(field !== undefined ? { field } : {}), requestId } };
      return apiErrorFor({ status, code, message, field, requestId, body, retryAfterMs });
    }
    // Not the API's error shape (a proxy's HTML page, an older service…): keep a short, redacted excerpt.
    return apiErrorFor({
      status,
      code: "HttpError",
      message: `HTTP ${status}`,
      requestId: header(response.headers, "x-request-id"),
      body: text === "" ? undefined : this.scrub(text.slice(0, 500)),
      retryAfterMs,
    });
  }

  private parse<S extends z.ZodType>(schema: S, response: RawResponse, spec: RequestSpec): z.output<S> {
    const requestId = header(response.headers, "x-request-id");
    const fail = (issues: ValidationIssue[]) => {
      const name = (schema.meta()?.id as string | undefined) ?? "the expected schema";
      const [first] = issues;
      const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
      const at = first.path === "" ? "the body" : first.path;
      return new ResponseValidationError(
        `${this.label(spec)}: ${response.status} response does not match ${name} at ${at}: ${first.message}${more}${requestId ? ` (request ${requestId})` : ""}`,
        { status: response.status, requestId, issues },
      );
    };
    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      throw fail([{ path: "", message: "response body is not JSON" }]);
    }
    const result = schema.safeParse(json);
    if (result.success) return result.data;
    throw fail(result.error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: this.scrub(issue.message) })));
  }

  /** `GET /v1/domains/x/relay-templates`: never the query string. */
  private label(spec: RequestSpec): string {
    return this.scrub(`${spec.method} ${spec.path}`);
  }
}

function queryString(query: Query | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) params.append(key, String(value));
  }
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

/** Encodes one path segment; refuses empty ones, which would silently address another route. */
export function segment(value: string, what: string): string {
  if (typeof value !== "string" || value === "") throw new TypeError(`${what} must be a non-empty string`);
  return encodeURIComponent(value);
}
