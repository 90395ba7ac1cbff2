import type { RelayTemplate, RelayMode } from "@liverelay/api";
import type { MediaStore } from "./media";
import type { EventOutbox } from "../events/outbox";
import type { WebhookStore } from "../webhooks/webhook-store";
import type { ClusterStore } from "./cluster";
import type { StoreChanges } from "./changes";

/** What a template holds besides its identity and timestamps, as the API validated it. */
export interface TemplateFields {
  appName: string;
  streamName: string;
  destinationUrl: string;
  mode: RelayMode;
  startTime: string | null;
  endTime: string | null;
  description: string | null;
  /** Relay across protocols (SRT ingest → RTMP destination and back), converting the container. */
  protocolConversion: boolean;
}

export interface IdempotencyClaim {
  key: string;
  /** Hash of the request (method, path, body): the same key with another body is a conflict. */
  requestHash: string;
}

export type CreateTemplateResult =
  | { kind: "created"; template: RelayTemplate }
  | { kind: "replayed"; template: RelayTemplate }
  | { kind: "duplicate" }
  | { kind: "quota-exceeded"; used: number; limit: number }
  | { kind: "idempotency-mismatch" };

export interface TemplateFilter {
  appName?: string;
  streamName?: string;
  destinationUrl?: string;
}

/** A domain's publishing credentials: the URL-signing key and the optional SRT passphrase. */
export interface IngestAuthRecord {
  domain: string;
  key: string;
  srtPassphrase: string | null;
  /** Signs playback URLs (auth_key); null: reads need the API token (HTTP) or open playback. */
  playKey: string | null;
  updatedAt: string;
}

/** A domain's ingest settings; a domain without one has every setting off. */
export interface IngestSettingsRecord {
  domain: string;
  /** A new authenticated publish of a live key ends the old publishing session. */
  publisherTakeover: boolean;
  /** Anyone may read the domain's streams without credentials. */
  openPlayback: boolean;
  updatedAt: string;
}

export interface TemplatePage {
  items: RelayTemplate[];
  /** Id of the last item when more may follow, else null. */
  lastId: string | null;
}

/** Schedule, description and protocolConversion changes computed from the current template, inside the write transaction. */
export type TemplateChange = (current: RelayTemplate) => Pick<TemplateFields, "mode" | "startTime" | "endTime" | "description" | "protocolConversion">;

/**
 * Persistence behind one interface, so that a PostgreSQL store can replace the embedded
 * SQLite one without touching the HTTP layer. Every method that writes is atomic; the
 * quota and the idempotency check happen inside the same transaction as the insert.
 */
export interface Store extends MediaStore {
  readonly kind: string;
  /** Domain events; template writes append theirs in their own transaction. */
  readonly outbox: EventOutbox;
  readonly webhooks: WebhookStore;
  /** Nodes, stream leases and relay status shared by every node on this store. */
  readonly cluster: ClusterStore;
  /** What committed writes changed (this node's and, for a shared store, every node's). */
  readonly changes: StoreChanges;
  /** False once closed, and while the database cannot be reached (readiness). */
  isOpen(): boolean;
  createRelayTemplate(cmd: {
    domain: string;
    fields: TemplateFields;
    maxPerDomain: number;
    idempotency?: IdempotencyClaim;
    now: Date;
  }): Promise<CreateTemplateResult>;
  getRelayTemplate(domain: string, id: string): Promise<RelayTemplate | null>;
  listRelayTemplates(domain: string, filter: TemplateFilter, page: { limit: number; afterId?: string }): Promise<TemplatePage>;
  /** Applies `change` to the current template in one transaction; null when absent. `change` may throw to abort. */
  updateRelayTemplate(domain: string, id: string, change: TemplateChange, now: Date): Promise<RelayTemplate | null>;
  deleteRelayTemplate(domain: string, id: string): Promise<boolean>;
  countRelayTemplates(domain: string): Promise<number>;
  /** Every template of every domain: the relay scheduler's view. */
  listAllRelayTemplates(): Promise<RelayTemplate[]>;
  getIngestAuth(domain: string): Promise<IngestAuthRecord | null>;
  /** Every domain's ingest auth: loaded once at start by the publish gate's cache. */
  listIngestAuth(): Promise<IngestAuthRecord[]>;
  setIngestAuth(record: IngestAuthRecord): Promise<void>;
  deleteIngestAuth(domain: string): Promise<boolean>;
  getIngestSettings(domain: string): Promise<IngestSettingsRecord | null>;
  /** Every domain's ingest settings: loaded once at start by the publish gate's cache. */
  listIngestSettings(): Promise<IngestSettingsRecord[]>;
  setIngestSettings(record: IngestSettingsRecord): Promise<void>;
  close(): Promise<void>;
}

/** The database cannot be reached (or broke mid-request): the API answers 503 StoreUnavailable, nothing was written. */
export class StoreUnavailableError extends Error {
  readonly code = "StoreUnavailable";
  constructor(message = "the store is unreachable; retry shortly", options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}
