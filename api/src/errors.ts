import { z } from "zod";

/** The `error.code` values the service sends. Clients must accept others too (newer services add codes). */
export const ErrorCode = z.enum([
  "BadRequest",
  "ImmutableField",
  "Unauthorized",
  "Forbidden",
  "NotFound",
  "MethodNotAllowed",
  "Conflict",
  "QuotaExceeded",
  "RelayLoop",
  "PayloadTooLarge",
  "UnsupportedMediaType",
  "RangeNotSatisfiable",
  "RateLimited",
  "StoreUnavailable",
  "StreamElsewhere",
  "Internal",
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      field: z.string().optional(),
      requestId: z.string(),
    }),
  })
  .meta({ id: "Error" });
export type ErrorBody = z.infer<typeof ErrorBody>;
