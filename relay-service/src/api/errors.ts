import type { ErrorCode } from "@liverelay/api";

/** An error the API answers with: status, stable code, a message safe to show (no secrets), the field at fault. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiProblem";
  }
}

export const badRequest = (message: string, field?: string) => new ApiProblem(400, "BadRequest", message, field);
export const immutableField = (field: string) =>
  new ApiProblem(400, "ImmutableField", `${field} cannot be changed: it is part of the template's identity; create a new template and delete this one instead`, field);
export const unauthorized = () =>
  new ApiProblem(401, "Unauthorized", "missing or invalid bearer token", undefined, { "www-authenticate": 'Bearer realm="liverelay"' });
export const notFound = (message: string) => new ApiProblem(404, "NotFound", message);
export const methodNotAllowed = (method: string, allowed: string[]) =>
  new ApiProblem(405, "MethodNotAllowed", `${method} is not allowed here; allowed: ${allowed.join(", ")}`, undefined, { allow: allowed.join(", ") });
export const conflict = (message: string, field?: string) => new ApiProblem(409, "Conflict", message, field);
export const quotaExceeded = (message: string) => new ApiProblem(409, "QuotaExceeded", message);
export const relayLoop = (message: string) => new ApiProblem(409, "RelayLoop", message, "destinationUrl");
export const payloadTooLarge = (limit: number) => new ApiProblem(413, "PayloadTooLarge", `request body exceeds ${limit} bytes`);
export const unsupportedMediaType = () => new ApiProblem(415, "UnsupportedMediaType", "request body must be JSON (Content-Type: application/json)");
export const storeUnavailable = () => new ApiProblem(503, "StoreUnavailable", "the store (database) is unreachable; retry shortly (a create with the same Idempotency-Key is applied at most once)", undefined, { "retry-after": "2" });
