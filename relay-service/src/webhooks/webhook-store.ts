import type { WebhookAttempt } from "@liverelay/api";

export interface WebhookRecord {
  domain: string;
  id: string;
  url: string;
  events: string[];
  secret: string;
  description: string | null;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  /** The last event this webhook is done with (delivered, given up, or not subscribed). */
  cursor: number;
}

export type DeliveryStatus = "pending" | "succeeded" | "failed";

export interface DeliveryRecord {
  id: string;
  domain: string;
  webhookId: string;
  eventSeq: number;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  /** ms since epoch; null once finished. */
  nextAttemptAt: number | null;
  createdAt: string;
  recentAttempts: WebhookAttempt[];
}

/** Webhooks and their deliveries. A delivery is one event for one webhook; the cursor says how far a webhook got. */
export interface WebhookStore {
  /** Creates (cursor at the newest event) or replaces; an enabled → re-enabled webhook keeps its cursor. */
  putWebhook(record: Omit<WebhookRecord, "cursor" | "createdAt">, maxPerDomain: number): Promise<{ webhook: WebhookRecord; created: boolean } | { quotaExceeded: true }>;
  getWebhook(domain: string, id: string): Promise<WebhookRecord | null>;
  listWebhooks(domain: string): Promise<WebhookRecord[]>;
  listAllWebhooks(): Promise<WebhookRecord[]>;
  deleteWebhook(domain: string, id: string): Promise<boolean>;
  /** Moves a webhook past events it does not subscribe to (or that expired). */
  advanceWebhookCursor(domain: string, id: string, seq: number): Promise<void>;

  /** The webhook's unfinished delivery (the head of its queue), if any. */
  pendingDelivery(domain: string, webhookId: string): Promise<DeliveryRecord | null>;
  /** Opens the delivery of the next event; keeps only the latest deliveries of the webhook. */
  createDelivery(d: Omit<DeliveryRecord, "attempts" | "recentAttempts" | "status">, keepPerWebhook: number): Promise<DeliveryRecord>;
  /**
   * Takes the pending delivery for one attempt, for `leaseMs`: null when it is finished or
   * another worker (another node) holds it. Recording the attempt releases it.
   */
  claimDelivery(deliveryId: string, leaseMs: number): Promise<DeliveryRecord | null>;
  /** Gives a claim back without an attempt (an attempt cut short by shutdown). */
  releaseDelivery(deliveryId: string): Promise<void>;
  /** Records an attempt; a finished delivery (succeeded/failed) also moves the webhook's cursor past its event, in the same transaction. */
  recordAttempt(deliveryId: string, attempt: WebhookAttempt, next: { status: DeliveryStatus; nextAttemptAt: number | null; advanceCursor: boolean }): Promise<DeliveryRecord | null>;
  getDelivery(domain: string, webhookId: string, deliveryId: string): Promise<DeliveryRecord | null>;
  listDeliveries(domain: string, webhookId: string, limit: number): Promise<DeliveryRecord[]>;
  /** Per enabled webhook: how many events are past its cursor and when the oldest occurred. */
  webhookBacklog(): Promise<{ events: number; oldestOccurredAt: string | null }>;
}
