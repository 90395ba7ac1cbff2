import http from "node:http";
import https from "node:https";
import { redactText, type WebhookAttempt } from "@liverelay/api";
import { assertLiteralAllowed, guardedLookup, PrivateAddressError } from "./address-policy";

export const DELIVERY_TIMEOUT_MS = 10_000;
/** A receiver's answer body is not used: read at most this much, then hang up. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export type AttemptOutcome = "success" | "http_error" | "timeout" | "network_error" | "blocked";

export interface AttemptResult extends WebhookAttempt {
  outcome: AttemptOutcome;
}

/** Keep-alive sockets per receiver, shared by every webhook; sockets are only opened through the guarded lookup. */
const agents = { "http:": new http.Agent({ keepAlive: true, maxSockets: 8 }), "https:": new https.Agent({ keepAlive: true, maxSockets: 8 }) };

/**
 * POSTs one JSON body and reports what happened. Never throws, never follows redirects, and
 * never puts the URL in an error (webhook URLs often carry a token).
 */
export function postEvent(rawUrl: string, body: string, headers: Record<string, string>, opts: { allowPrivate: boolean; signal?: AbortSignal }): Promise<AttemptResult> {
  const started = Date.now();
  const at = new Date(started).toISOString();
  const done = (outcome: AttemptOutcome, statusCode: number | null, error: string | null): AttemptResult => ({
    at,
    statusCode,
    latencyMs: Date.now() - started,
    error: error === null ? null : redactText(error),
    outcome,
  });
  return new Promise((resolve) => {
    const url = new URL(rawUrl);
    try {
      assertLiteralAllowed(url, opts.allowPrivate);
    } catch (err) {
      return resolve(done("blocked", null, (err as Error).message));
    }
    const transport = url.protocol === "https:" ? https : http;
    const req = transport.request(url, {
      method: "POST",
      agent: agents[url.protocol as "http:" | "https:"],
      lookup: guardedLookup(opts.allowPrivate),
      signal: opts.signal,
      headers: { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no response within ${DELIVERY_TIMEOUT_MS / 1000} s`), { code: "ETIMEDOUT" })), DELIVERY_TIMEOUT_MS);
    req.on("response", (res) => {
      clearTimeout(timer);
      const status = res.statusCode ?? 0;
      let read = 0;
      res.on("data", (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) res.destroy();
      });
      res.on("error", () => {});
      res.setTimeout(DELIVERY_TIMEOUT_MS, () => res.destroy());
      const ok = status >= 200 && status < 300;
      resolve(done(ok ? "success" : "http_error", status, ok ? null : `the receiver answered HTTP ${status}`));
    });
    req.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err instanceof PrivateAddressError) return resolve(done("blocked", null, err.message));
      const timedOut = err.code === "ETIMEDOUT";
      resolve(done(timedOut ? "timeout" : "network_error", null, timedOut ? err.message : `${err.code ?? "error"}: ${err.message}`));
    });
    req.end(body);
  });
}
