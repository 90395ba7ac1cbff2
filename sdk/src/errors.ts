import type { ErrorCode } from "@liverelay/api";

/** Puts `name` on the prototype, so it is in the stack from the start and not an own property. */
function named(cls: { prototype: Error }, name: string): void {
  Object.defineProperty(cls.prototype, "name", { value: name, writable: true, configurable: true });
}

/**
 * Every error the SDK throws. Messages are safe to log: they never hold the API token, a
 * stream key, a request body or request headers, and no error keeps the HTTP library's
 * error (whose config holds all of those) as `cause`.
 */
export class LiveRelayError extends Error {
  static {
    named(this, "LiveRelayError");
  }

  /** What `JSON.stringify(err)` shows: the safe fields only. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message };
  }
}

/** A server-supplied error code, or `HttpError` when the body was not the API's error shape. */
export type ApiErrorCode = ErrorCode | "HttpError" | (string & {});

export interface ApiErrorInit {
  status: number;
  code: ApiErrorCode;
  /** The server's message, already redacted. */
  message: string;
  requestId?: string;
  field?: string;
  /** The error body as received (strings redacted), or undefined when it was not JSON. */
  body?: unknown;
}

/** The API answered with a non-2xx status. `message` reads `404 NotFound: … (request req_…)`. */
export class ApiError extends LiveRelayError {
  static {
    named(this, "ApiError");
  }
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly requestId: string | undefined;
  /** The request field at fault (`endTime`, `destinationUrl`, `Idempotency-Key`…), when the server named one. */
  readonly field: string | undefined;
  readonly body: unknown;

  constructor(init: ApiErrorInit) {
    super(`${init.status} ${init.code}: ${init.message}${init.requestId ? ` (request ${init.requestId})` : ""}`);
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.field = init.field;
    this.body = init.body;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), status: this.status, code: this.code, requestId: this.requestId, field: this.field };
  }
}

/** 400: the request was invalid (`code` BadRequest), or tried to change an identity field (`code` ImmutableField). */
export class BadRequestError extends ApiError {
  static {
    named(this, "BadRequestError");
  }
}

/** 401: missing or wrong API token. */
export class AuthenticationError extends ApiError {
  static {
    named(this, "AuthenticationError");
  }
}

/** 404: no such template (in this domain), or no such route on this service version. */
export class NotFoundError extends ApiError {
  static {
    named(this, "NotFoundError");
  }
}

/** 409: the destination already exists for this stream, or an Idempotency-Key was reused with another body. */
export class ConflictError extends ApiError {
  static {
    named(this, "ConflictError");
  }
}

/** 409 with code QuotaExceeded: the domain has reached its destination limit. */
export class QuotaExceededError extends ConflictError {
  static {
    named(this, "QuotaExceededError");
  }
}

/** 429: too many requests. `retryAfterMs` holds the server's Retry-After, when given. */
export class RateLimitError extends ApiError {
  static {
    named(this, "RateLimitError");
  }
  readonly retryAfterMs: number | undefined;
  constructor(init: ApiErrorInit & { retryAfterMs?: number }) {
    super(init);
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** 5xx: the service (or a proxy in front of it) failed. */
export class ServerError extends ApiError {
  static {
    named(this, "ServerError");
  }
}

/** No HTTP response: connection refused or reset, DNS failure, TLS failure… `code` is the system code (ECONNREFUSED). */
export class ConnectionError extends LiveRelayError {
  static {
    named(this, "ConnectionError");
  }
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.code = code;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), code: this.code };
  }
}

/**
 * The caller's `AbortSignal` fired: before the request was sent, while it was in flight, or
 * while the SDK waited to retry or to poll again. Never retried. (openai-node's `APIUserAbortError`.)
 */
export class LiveRelayAbortError extends LiveRelayError {
  static {
    named(this, "LiveRelayAbortError");
  }
}

/** A request took longer than `timeoutMs`, or `waitForState` gave up. */
export class TimeoutError extends LiveRelayError {
  static {
    named(this, "TimeoutError");
  }
  readonly timeoutMs: number;
  constructor(message: string, timeoutMs: number) {
    super(message);
    this.timeoutMs = timeoutMs;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), timeoutMs: this.timeoutMs };
  }
}

export interface ValidationIssue {
  /** Dotted path into the response body, e.g. `items.0.mode` (empty for the body itself). */
  path: string;
  message: string;
}

/** A 2xx response did not match the SDK's schema: usually an SDK older or newer than the service. */
export class ResponseValidationError extends LiveRelayError {
  static {
    named(this, "ResponseValidationError");
  }
  readonly status: number;
  readonly requestId: string | undefined;
  readonly issues: ValidationIssue[];
  /** The path of the first mismatch. */
  readonly path: string;

  constructor(message: string, init: { status: number; requestId?: string; issues: ValidationIssue[] }) {
    super(message);
    this.status = init.status;
    this.requestId = init.requestId;
    this.issues = init.issues;
    this.path = init.issues[0]?.path ?? "";
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), status: this.status, requestId: this.requestId, issues: this.issues };
  }
}

/** The error class for an HTTP status and API error code. */
export function apiErrorFor(init: ApiErrorInit & { retryAfterMs?: number }): ApiError {
  const { status, code } = init;
  if (status === 400) return new BadRequestError(init);
  if (status === 401) return new AuthenticationError(init);
  if (status === 404) return new NotFoundError(init);
  if (status === 409) return code === "QuotaExceeded" ? new QuotaExceededError(init) : new ConflictError(init);
  if (status === 429) return new RateLimitError(init);
  if (status >= 500) return new ServerError(init);
  return new ApiError(init);
}
