import { realSleep } from "./abort";
import { Transport } from "./http";
import { IngestAuthResource } from "./resources/ingest-auth";
import { IngestSettingsResource } from "./resources/ingest-settings";
import { QuotaResource } from "./resources/quota";
import { RelayTemplates } from "./resources/relay-templates";
import { Relays } from "./resources/relays";
import { Streams } from "./resources/streams";
import { TranscodeTemplates } from "./resources/transcode-templates";
import { SnapshotConfigResource } from "./resources/snapshot-config";
import { RecordingConfigResource } from "./resources/recording-config";
import { Recordings } from "./resources/recordings";
import { Webhooks } from "./resources/webhooks";
import { Events } from "./resources/events";
import { Processing } from "./resources/processing";
import { Domains } from "./resources/domains";
import { SDK_VERSION } from "./version";

export interface ClientOptions {
  /** The service's HTTP address, e.g. `http://relay.internal:8080` (a trailing slash or a path prefix is fine). */
  baseUrl: string;
  /** The API bearer token. Never appears in an error. */
  token: string;
  /** Deadline of each call, retries and the waits between them included. Default 30 000 ms. */
  timeoutMs?: number;
  /** Retries after the first attempt (connection errors, timeouts, 429, 5xx). Default 3; 0 disables. */
  maxRetries?: number;
  /** Backoff ceiling of the first retry, doubled per retry (full jitter). Default 250 ms. */
  retryBaseDelayMs?: number;
  /** Largest backoff ceiling. Default 8 000 ms. */
  retryMaxDelayMs?: number;
  /** A server's Retry-After is honoured up to this. Default 60 000 ms. */
  maxRetryAfterMs?: number;
  /** Headers sent with every request (a call's `headers` win). `authorization` cannot be set here: use `token`. */
  defaultHeaders?: Record<string, string>;
  /**
   * How to wait between retries and polls; replace it in tests to record or skip the waits. It
   * gets the call's signal: the SDK stops waiting on abort either way, honouring it frees a timer.
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface LiveRelayClient {
  readonly relayTemplates: RelayTemplates;
  readonly relays: Relays;
  readonly streams: Streams;
  readonly quota: QuotaResource;
  readonly ingestAuth: IngestAuthResource;
  readonly ingestSettings: IngestSettingsResource;
  readonly transcodeTemplates: TranscodeTemplates;
  readonly snapshotConfig: SnapshotConfigResource;
  readonly recordingConfig: RecordingConfigResource;
  readonly recordings: Recordings;
  readonly webhooks: Webhooks;
  readonly events: Events;
  readonly processing: Processing;
  readonly domains: Domains;
}

const DEFAULTS = { timeoutMs: 30_000, maxRetries: 3, retryBaseDelayMs: 250, retryMaxDelayMs: 8_000, maxRetryAfterMs: 60_000 };

function normaliseBaseUrl(raw: unknown): string {
  let url: URL | undefined;
  try {
    url = typeof raw === "string" ? new URL(raw) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new TypeError("baseUrl must be an http:// or https:// URL, e.g. http://127.0.0.1:8080");
  }
  if (url.username || url.password) throw new TypeError("baseUrl must not contain credentials: pass the token as `token`");
  if (url.search || url.hash) throw new TypeError("baseUrl must not have a query string or fragment");
  return url.origin + url.pathname.replace(/\/+$/, "");
}

function nonNegative(name: string, value: number | undefined, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new TypeError(`${name} must be a non-negative ${integer ? "integer" : "number"}`);
  }
  return value;
}

function headerRecord(headers: Record<string, string> | undefined): Record<string, string> {
  if (headers === undefined) return {};
  if (typeof headers !== "object" || headers === null) throw new TypeError("defaultHeaders must be an object of header names to strings");
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== "string") throw new TypeError(`defaultHeaders.${name} must be a string`);
    if (name.toLowerCase() === "authorization") throw new TypeError("defaultHeaders must not set authorization: pass the token as `token`");
  }
  return { ...headers };
}

/** A client for one LiveRelay service. Creates its own HTTP agent; no I/O happens until a call is made. */
export function createClient(options: ClientOptions): LiveRelayClient {
  const baseUrl = normaliseBaseUrl(options?.baseUrl);
  if (typeof options.token !== "string" || options.token === "") throw new TypeError("token must be a non-empty string");
  const timeoutMs = nonNegative("timeoutMs", options.timeoutMs, DEFAULTS.timeoutMs);
  if (timeoutMs === 0) throw new TypeError("timeoutMs must be greater than 0");
  const http = new Transport({
    baseUrl,
    token: options.token,
    timeoutMs,
    maxRetries: nonNegative("maxRetries", options.maxRetries, DEFAULTS.maxRetries, true),
    backoff: {
      baseDelayMs: nonNegative("retryBaseDelayMs", options.retryBaseDelayMs, DEFAULTS.retryBaseDelayMs),
      maxDelayMs: nonNegative("retryMaxDelayMs", options.retryMaxDelayMs, DEFAULTS.retryMaxDelayMs),
      maxRetryAfterMs: nonNegative("maxRetryAfterMs", options.maxRetryAfterMs, DEFAULTS.maxRetryAfterMs),
      random: Math.random,
    },
    sleep: options.sleep ?? realSleep,
    defaultHeaders: headerRecord(options.defaultHeaders),
    userAgent: `liverelay-sdk/${SDK_VERSION}`,
  });
  return {
    relayTemplates: new RelayTemplates(http),
    relays: new Relays(http),
    streams: new Streams(http),
    quota: new QuotaResource(http),
    ingestAuth: new IngestAuthResource(http),
    ingestSettings: new IngestSettingsResource(http),
    transcodeTemplates: new TranscodeTemplates(http),
    snapshotConfig: new SnapshotConfigResource(http),
    recordingConfig: new RecordingConfigResource(http),
    recordings: new Recordings(http),
    webhooks: new Webhooks(http),
    events: new Events(http),
    processing: new Processing(http),
    domains: new Domains(http),
  };
}
