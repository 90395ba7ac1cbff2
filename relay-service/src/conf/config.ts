import { parseArgs } from "node:util";
import path from "node:path";
import { z } from "zod";
import { Domain } from "@liverelay/api";

/** Every flag, its env var and its default: the single table behind parsing and `--help`. */
const FLAGS = {
  host: { env: "LIVERELAY_HOST", default: "0.0.0.0", help: "address to bind every listener to" },
  "http-port": { env: "LIVERELAY_HTTP_PORT", default: "8080", help: "HTTP API port (0 = any free port)" },
  "rtmp-port": { env: "LIVERELAY_RTMP_PORT", default: "1935", help: "RTMP ingest port, TCP" },
  "srt-port": { env: "LIVERELAY_SRT_PORT", default: "10080", help: "SRT ingest port, UDP" },
  "data-dir": { env: "LIVERELAY_DATA_DIR", default: "./liverelay-data", help: "where the database and the generated API token live" },
  store: { env: "LIVERELAY_STORE", default: undefined, help: "postgres://user@host:port/db: a PostgreSQL store shared by several nodes (unset: SQLite in --data-dir); put the password in ~/.pgpass or PGPASSFILE, not here" },
  "api-token": { env: "LIVERELAY_API_TOKEN", default: undefined, help: "bearer token for /v1 and /metrics (generated into the data dir when unset)" },
  "max-destinations-per-domain": { env: "LIVERELAY_MAX_DESTINATIONS_PER_DOMAIN", default: "200", help: "relay templates allowed per streaming domain" },
  "default-domain": { env: "LIVERELAY_DEFAULT_DOMAIN", default: "default", help: "domain of streams published without vhost/domain" },
  "relay-engine": { env: "LIVERELAY_RELAY_ENGINE", default: "in-process", help: "how relays run: in-process (the service's RTMP client and SRT caller) | ffmpeg (one process each)" },
  "tls-ca-file": { env: "LIVERELAY_TLS_CA_FILE", default: undefined, help: "PEM file of extra CAs trusted for rtmps:// destinations (besides the system store)" },
  "public-host": { env: "LIVERELAY_PUBLIC_HOST", default: "", help: "comma-separated names this service is reached by (DNS names of this host): destinations naming them are its own ingest (loop check); the first is where other cluster nodes send HTTP players of its streams" },
  "log-level": { env: "LIVERELAY_LOG_LEVEL", default: "info", help: "trace | debug | info | warn | error" },
  "max-rtmp-connections": { env: "LIVERELAY_MAX_RTMP_CONNECTIONS", default: "1000", help: "RTMP connections at once; more are closed on connect" },
  "max-rtmp-buffered-bytes": { env: "LIVERELAY_MAX_RTMP_BUFFERED_BYTES", default: String(64 * 1024 * 1024), help: "bytes of incomplete RTMP messages held across all connections; the connection passing it is closed" },
  "max-rtmp-message-bytes": { env: "LIVERELAY_MAX_RTMP_MESSAGE_BYTES", default: String(8 * 1024 * 1024), help: "largest RTMP message a peer may declare; a larger one closes the connection" },
  "max-srt-connections": { env: "LIVERELAY_MAX_SRT_CONNECTIONS", default: "200", help: "SRT callers connected at once; more are rejected at the handshake" },
  "max-srt-handshakes": { env: "LIVERELAY_MAX_SRT_HANDSHAKES", default: "32", help: "SRT callers accepted at the handshake but not connected yet; more are rejected" },
  "max-readers": { env: "LIVERELAY_MAX_READERS", default: "1000", help: "players (RTMP, HTTP-FLV, HLS, SRT) reading at once; more are refused" },
  "max-readers-per-stream": { env: "LIVERELAY_MAX_READERS_PER_STREAM", default: "200", help: "players of one stream at once; more are refused" },
  "node-id": { env: "LIVERELAY_NODE_ID", default: undefined, help: "this node's id in a cluster (generated into the data dir when unset)" },
  "allow-private-webhooks": { env: "LIVERELAY_ALLOW_PRIVATE_WEBHOOKS", default: "false", help: "let webhook URLs resolve to loopback/private addresses (a flag; env true/false)", boolean: true },
} as const;
type FlagName = keyof typeof FLAGS;

const Port = z.coerce.number().int().min(0).max(65535);
const ConfigSchema = z.object({
  host: z.string().min(1),
  httpPort: Port,
  rtmpPort: Port,
  srtPort: Port,
  dataDir: z.string().min(1),
  // The message never repeats the value: it may hold a password.
  store: z.string().regex(/^postgres(ql)?:\/\/[^\s]+$/i, "must be a postgres://user@host:port/database URL").optional(),
  apiToken: z.string().min(16, "the API token must be at least 16 characters").optional(),
  maxDestinationsPerDomain: z.coerce.number().int().min(1).max(100_000),
  defaultDomain: Domain,
  relayEngine: z.enum(["in-process", "ffmpeg"]),
  tlsCaFile: z.string().min(1).optional(),
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "silent"]),
  maxRtmpConnections: z.coerce.number().int().min(1).max(1_000_000),
  maxRtmpBufferedBytes: z.coerce.number().int().min(64 * 1024),
  maxRtmpMessageBytes: z.coerce.number().int().min(64 * 1024).max(16 * 1024 * 1024 - 1), // the wire format's limit
  maxSrtConnections: z.coerce.number().int().min(1).max(100_000),
  maxSrtHandshakes: z.coerce.number().int().min(1).max(10_000),
  maxReaders: z.coerce.number().int().min(1).max(1_000_000),
  maxReadersPerStream: z.coerce.number().int().min(1).max(1_000_000),
  nodeId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 letters, digits, '.', '_' or '-'").optional(),
  allowPrivateWebhooks: z.enum(["true", "false", "1", "0"], "must be true or false").transform((v) => v === "true" || v === "1"),
  publicHost: z
    .string()
    .transform((list) => list.split(",").map((h) => h.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[a-z0-9.:[\]-]+$/i, "each name must be a host name or address"))),
});
export type Config = z.infer<typeof ConfigSchema> & {
  /** The store URL came from argv, where every local user can read it (the start warns when it holds a password). */
  storeOnCommandLine?: boolean;
};

export class ConfigError extends Error {}

export function helpText(): string {
  const rows = Object.entries(FLAGS).map(([name, f]) => {
    const def = f.default === undefined ? "" : ` (default ${f.default})`;
    return `  --${name.padEnd(30)} ${f.help}${def}\n  ${"".padEnd(32)} env ${f.env}`;
  });
  return [
    "Usage: liverelay serve [flags]",
    "",
    "Accepts RTMP/SRT streams and relays them to the destinations declared as relay templates.",
    "",
    "Flags (each can also be set through its environment variable; a flag wins):",
    ...rows,
    "  --help                           print this help",
    "",
  ].join("\n");
}

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Flags > environment > defaults, then one validation pass so every mistake is named. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): Config {
  const options = Object.fromEntries(Object.entries(FLAGS).map(([k, f]) => [k, { type: "boolean" in f ? ("boolean" as const) : ("string" as const) }]));
  let values: Record<string, string | undefined>;
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values as Record<string, string | boolean>;
    values = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\nRun "liverelay --help" for the list of flags.`);
  }
  const raw: Record<string, string | undefined> = {};
  for (const [name, flag] of Object.entries(FLAGS) as [FlagName, (typeof FLAGS)[FlagName]][]) {
    const fromEnv = env[flag.env] === "" ? undefined : env[flag.env]; // an empty variable counts as unset
    raw[camel(name)] = values[name] ?? fromEnv ?? flag.default;
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${flagOf(String(i.path[0]))}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.dataDir), storeOnCommandLine: values.store !== undefined };
}

function flagOf(key: string): string {
  const name = Object.keys(FLAGS).find((f) => camel(f) === key);
  return name ? `--${name} / ${FLAGS[name as FlagName].env}` : key;
}
