import crypto from "node:crypto";
import type { DomainEvent, RecordingConfig, RelayTemplate, SnapshotConfig, TranscodeTemplate, WebhookAttempt } from "@liverelay/api";
import type { IngestAuthRecord, IngestSettingsRecord } from "./store";
import type { RecordingRecord } from "./media";
import { eventIdOf, type StoredEvent } from "../events/outbox";
import type { DeliveryRecord, DeliveryStatus, WebhookRecord } from "../webhooks/webhook-store";

/*
 * Rows as both stores keep them (same tables, same column names and text encodings in SQLite
 * and PostgreSQL), and their records. Booleans are 0/1 in SQLite and true/false in PostgreSQL.
 */

export interface TemplateRow {
  id: string;
  domain: string;
  app_name: string;
  stream_name: string;
  destination_url: string;
  mode: "always" | "time";
  start_time: string | null;
  end_time: string | null;
  description: string | null;
  protocol_conversion: number | boolean;
  created_at: string;
  updated_at: string;
}

export const toTemplate = (r: TemplateRow): RelayTemplate => ({
  id: r.id,
  domain: r.domain,
  appName: r.app_name,
  streamName: r.stream_name,
  destinationUrl: r.destination_url,
  mode: r.mode,
  startTime: r.start_time,
  endTime: r.end_time,
  description: r.description,
  protocolConversion: Boolean(r.protocol_conversion),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Time-ordered ids make cursor pagination a simple `id > ?`. */
export function newTemplateId(now: Date): string {
  return `rt_${now.getTime().toString(36).padStart(9, "0")}${crypto.randomBytes(8).toString("hex")}`;
}

export interface EventRow {
  seq: number;
  domain: string;
  type: string;
  occurred_at: string;
  data: string;
}

export const toStored = (r: EventRow): StoredEvent => ({
  seq: r.seq,
  event: { id: eventIdOf(r.seq), type: r.type, domain: r.domain, occurredAt: r.occurred_at, data: JSON.parse(r.data) as unknown } as DomainEvent,
});

export interface WebhookRow {
  domain: string;
  id: string;
  url: string;
  events: string;
  secret: string;
  description: string | null;
  enabled: number | boolean;
  cursor: number;
  created_at: string;
  updated_at: string;
}

export const toWebhook = (r: WebhookRow): WebhookRecord => ({
  domain: r.domain,
  id: r.id,
  url: r.url,
  events: JSON.parse(r.events) as string[],
  secret: r.secret,
  description: r.description,
  enabled: Boolean(r.enabled),
  cursor: r.cursor,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface DeliveryRow {
  id: string;
  domain: string;
  webhook_id: string;
  event_seq: number;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number | null;
  created_at: string;
  recent_attempts: string;
}

export const toDelivery = (r: DeliveryRow): DeliveryRecord => ({
  id: r.id,
  domain: r.domain,
  webhookId: r.webhook_id,
  eventSeq: r.event_seq,
  eventId: r.event_id,
  eventType: r.event_type,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  createdAt: r.created_at,
  recentAttempts: JSON.parse(r.recent_attempts) as WebhookAttempt[],
});

export interface IngestAuthRow {
  domain: string;
  key: string;
  srt_passphrase: string | null;
  play_key: string | null;
  updated_at: string;
}

export interface IngestSettingsRow {
  domain: string;
  publisher_takeover: number | boolean;
  open_playback: number | boolean;
  updated_at: string;
}

export const toIngestSettings = (row: IngestSettingsRow): IngestSettingsRecord => ({ domain: row.domain, publisherTakeover: Boolean(row.publisher_takeover), openPlayback: Boolean(row.open_playback), updatedAt: row.updated_at });

export const toIngestAuth = (row: IngestAuthRow): IngestAuthRecord => ({ domain: row.domain, key: row.key, srtPassphrase: row.srt_passphrase, playKey: row.play_key, updatedAt: row.updated_at });

export interface TranscodeRow {
  domain: string;
  id: string;
  app_name: string;
  spec: string;
  created_at: string;
  updated_at: string;
}

export const toTranscodeTemplate = (r: TranscodeRow): TranscodeTemplate => {
  const spec = JSON.parse(r.spec) as Pick<TranscodeTemplate, "video" | "audio">;
  return { domain: r.domain, id: r.id, appName: r.app_name, video: spec.video, audio: spec.audio, createdAt: r.created_at, updatedAt: r.updated_at };
};

export interface SnapshotRow {
  domain: string;
  app_name: string;
  interval_seconds: number;
  keep: number;
  updated_at: string;
}

export const toSnapshotConfig = (r: SnapshotRow): SnapshotConfig => ({ domain: r.domain, appName: r.app_name, intervalSeconds: r.interval_seconds, keep: r.keep, updatedAt: r.updated_at });

export interface RecordingConfigRow {
  domain: string;
  app_name: string;
  format: RecordingConfig["format"];
  segment_seconds: number;
  updated_at: string;
}

export const toRecordingConfig = (r: RecordingConfigRow): RecordingConfig => ({ domain: r.domain, appName: r.app_name, format: r.format, segmentSeconds: r.segment_seconds, updatedAt: r.updated_at });

export interface RecordingRow {
  id: string;
  domain: string;
  app_name: string;
  stream_name: string;
  format: RecordingRecord["format"];
  path: string;
  started_at: string;
  ended_at: string | null;
  duration_seconds: number | null;
  bytes: number;
  node_id: string;
}

export const toRecording = (r: RecordingRow): RecordingRecord => ({
  id: r.id,
  domain: r.domain,
  appName: r.app_name,
  streamName: r.stream_name,
  format: r.format,
  path: r.path,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  durationSeconds: r.duration_seconds,
  bytes: r.bytes,
  nodeId: r.node_id,
});
