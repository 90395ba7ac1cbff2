import pino, { type Logger } from "pino";
import { redactText } from "@liverelay/api";

export type { Logger };

/**
 * Structured JSON logs. Request logs carry method, route and status, never the
 * Authorization header, bodies or full URLs (URLs may hold stream keys in query strings).
 * Besides the named paths, every URL in a message or field (an error's text included) is
 * redacted by structure, so a stream key reaches no log line whoever wrote it.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: "liverelay" },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ["req.headers.authorization", "authorization", "token", "apiToken", "destinationUrl", "*.destinationUrl", "passphrase", "*.passphrase"],
      censor: "[redacted]",
    },
    formatters: { log: (fields) => redactFields(fields, 2) },
    hooks: {
      logMethod(args, method) {
        const redacted = args.map((a: unknown) => (typeof a === "string" ? redactText(a) : a)) as Parameters<typeof method>;
        return method.apply(this, redacted);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** URLs in string fields, in errors (message and stack) and in nested objects `depth` levels down. */
function redactFields(fields: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) out[key] = redactValue(value, depth);
  return out;
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === "string") return value.includes("://") ? redactText(value) : value;
  if (value instanceof Error) {
    return { type: value.name, message: redactText(value.message), stack: redactText(value.stack ?? ""), ...("code" in value ? { code: value.code } : {}) };
  }
  const plainObject = value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype;
  if (depth > 0 && plainObject) return redactFields(value as Record<string, unknown>, depth - 1);
  return value;
}
