import crypto from "node:crypto";
import type { DomainEvent } from "./events";

/** The header every webhook delivery carries: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const WEBHOOK_SIGNATURE_HEADER = "LiveRelay-Signature";
const DEFAULT_TOLERANCE_SEC = 300;

const hmac = (secret: string, t: number, body: string | Uint8Array) =>
  crypto.createHmac("sha256", secret).update(`${t}.`).update(body).digest("hex");

/** The signature header value for `body`, signed at `t` (unix seconds). */
export function signWebhookPayload(body: string, secret: string, t: number = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${hmac(secret, t, body)}`;
}

export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookSignatureError";
  }
}

export interface VerifyOptions {
  /** How old (or far in the future) `t` may be. Default 300 s; 0 turns the check off. */
  toleranceSec?: number;
  /** Unix seconds; for tests. */
  now?: number;
}

/**
 * Checks a delivery against its `LiveRelay-Signature` header and returns the event, typed by its
 * `type`. Pass the raw body exactly as received (before any JSON parsing). Throws
 * WebhookSignatureError when the header is missing or malformed, no `v1` matches, or `t` is
 * outside the tolerance (a replayed delivery).
 */
export function verifyWebhookSignature(rawBody: string | Uint8Array, header: string | null | undefined, secret: string, options: VerifyOptions = {}): DomainEvent {
  if (!header) throw new WebhookSignatureError(`missing ${WEBHOOK_SIGNATURE_HEADER} header`);
  const parts = header.split(",").map((p) => p.trim().split("="));
  const t = Number(parts.find(([k]) => k === "t")?.[1]);
  const candidates = parts.filter(([k, v]) => k === "v1" && /^[0-9a-f]{64}$/.test(v ?? "")).map(([, v]) => Buffer.from(v, "hex"));
  if (!Number.isInteger(t) || candidates.length === 0) throw new WebhookSignatureError(`malformed ${WEBHOOK_SIGNATURE_HEADER} header`);
  const expected = Buffer.from(hmac(secret, t, rawBody), "hex");
  if (!candidates.some((c) => crypto.timingSafeEqual(c, expected))) throw new WebhookSignatureError("signature does not match");
  const tolerance = options.toleranceSec ?? DEFAULT_TOLERANCE_SEC;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (tolerance > 0 && Math.abs(now - t) > tolerance) throw new WebhookSignatureError(`signature timestamp is more than ${tolerance} s away from now`);
  const text = typeof rawBody === "string" ? rawBody : Buffer.from(rawBody).toString("utf8");
  return JSON.parse(text) as DomainEvent;
}
