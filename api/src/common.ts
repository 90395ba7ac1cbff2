import { z } from "zod";

/**
 * A DNS hostname in lowercase: labels of letters, digits and '-', ≤ 63 chars each (≤ 253 in all,
 * checked by max). No lookahead, so the OpenAPI `pattern` is one every JSON Schema tool can use.
 */
const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export const Domain = z
  .string()
  .max(253, "domain must be at most 253 characters")
  .refine((d) => d === d.toLowerCase(), "domain must be lowercase")
  .regex(HOSTNAME, "domain must be a DNS hostname (letters, digits, '-' and '.')")
  .meta({ description: "Streaming domain: a lowercase DNS hostname", example: "shows.example.com" });

/** A page cursor: pass `nextCursor` from the previous page unchanged. Any string of this form is a valid position. */
export const Cursor = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,200}$/, "cursor is not valid: pass nextCursor from a previous page unchanged")
  .meta({ description: "Opaque page position: `nextCursor` of the previous page (base64url)" });

const NAME = /^[A-Za-z0-9_.-]{1,255}$/;
const name = (what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(255, `${what} must be at most 255 characters`)
    .regex(NAME, `${what} may contain only letters, digits, '_', '-' and '.'`);

/** Case-sensitive: `Live` and `live` are different apps. */
export const AppName = name("appName").meta({ description: "Application name (case-sensitive)", example: "live" });
export const StreamName = name("streamName").meta({ description: "Stream name (case-sensitive)", example: "keynote" });

const RFC3339_UTC = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?Z$/;

/** Canonical form of an instant: seconds precision unless sub-second digits matter, always `Z`. */
export function canonicalTime(value: string): string {
  const iso = new Date(value).toISOString();
  return iso.endsWith(".000Z") ? iso.replace(".000Z", "Z") : iso;
}

/** An RFC 3339 UTC timestamp (`2026-12-01T09:00:00Z`), returned in canonical form. */
export const Timestamp = z
  .string()
  .regex(RFC3339_UTC, "must be an RFC 3339 UTC timestamp such as 2026-12-01T09:00:00Z")
  .refine((v) => !Number.isNaN(Date.parse(v)) && new Date(v).toISOString().slice(0, 19) === v.slice(0, 19), "is not a valid date")
  .transform(canonicalTime)
  .meta({ description: "RFC 3339 UTC timestamp", example: "2026-12-01T09:00:00Z", format: "date-time" });
