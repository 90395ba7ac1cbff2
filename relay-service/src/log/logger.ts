import pino, { type Logger } from "pino";

export type { Logger };

/**
 * Structured JSON logs. Request logs carry method, route and status, never the
 * Authorization header, bodies or full URLs (URLs may hold stream keys in query strings).
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "liverelay" },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ["req.headers.authorization", "authorization", "token", "apiToken", "destinationUrl", "*.destinationUrl", "passphrase", "*.passphrase"],
      censor: "[redacted]",
    },
  });
}
