import crypto from "node:crypto";
import type { Logger } from "pino";
import { signWebhookPayload, WEBHOOK_SIGNATURE_HEADER } from "@liverelay/api";
import { ANY_DOMAIN, type EventOutbox, type StoredEvent } from "../events/outbox";
import type { DeliveryRecord, WebhookRecord, WebhookStore } from "./webhook-store";
import type { FairLimiter } from "./fair-limiter";
import { postEvent, type AttemptOutcome, type AttemptResult } from "./post-event";
import { expired, retryDelayMs } from "./retry-policy";

/** Deliveries kept per webhook for `GET …/deliveries`. */
export const KEEP_DELIVERIES = 100;
const SCAN_BATCH = 200;
/** After an unexpected error (store closing), a worker pauses this long. */
const ERROR_PAUSE_MS = 5_000;
/** How long a claimed attempt is ours: well past the request timeout, so that only a dead node's claim runs out. */
const CLAIM_MS = 60_000;
/** When another node holds the head delivery, look again after this long. */
const CLAIMED_ELSEWHERE_PAUSE_MS = 1_000;

export interface DeliveryCounters {
  onAttempt(outcome: AttemptOutcome): void;
  onFinished(outcome: "delivered" | "gave_up"): void;
}

interface DispatcherDeps {
  store: WebhookStore;
  outbox: EventOutbox;
  limiter: FairLimiter;
  allowPrivate: boolean;
  userAgent: string;
  logger: Logger;
  counters?: DeliveryCounters;
}

const workerKey = (domain: string, id: string) => `${domain}\n${id}`;

export function newDeliveryId(now: number): string {
  return `dlv_${now.toString(36).padStart(9, "0")}${crypto.randomBytes(6).toString("hex")}`;
}

/** Whether a webhook's filter takes an event type. */
export const subscribes = (w: Pick<WebhookRecord, "events">, type: string) => w.events.includes("*") || w.events.includes(type);

/**
 * Delivers the outbox to webhooks: one worker per enabled webhook walks its domain's events in
 * order from its persisted cursor, one delivery at a time (so a receiver sees a domain's events
 * in order), retrying with backoff until 24 h after the event. Everything it needs to resume is
 * in the store, so a restart picks up exactly where it was. HTTP requests go through a fair
 * limiter: a slow domain cannot take the slots of another.
 */
export class WebhookDispatcher {
  private readonly workers = new Map<string, WebhookWorker>();
  private unsubscribe?: () => void;

  constructor(
    private readonly deps: DispatcherDeps,
    private readonly onAppended: (listener: (domain: string) => void) => () => void,
  ) {}

  async start(): Promise<void> {
    for (const w of await this.deps.store.listAllWebhooks()) this.sync(w.domain, w.id, w);
    this.unsubscribe = this.onAppended((domain) => {
      for (const worker of this.workers.values()) if (worker.domain === domain || domain === ANY_DOMAIN) worker.wake();
    });
  }

  /** Changes may have been missed (the store's change feed resynchronised): start, refresh or stop every worker. */
  async reload(): Promise<void> {
    const current = new Map((await this.deps.store.listAllWebhooks()).map((w) => [workerKey(w.domain, w.id), w]));
    for (const [key, worker] of this.workers) if (!current.has(key)) this.sync(worker.domain, worker.id, null);
    for (const w of current.values()) this.sync(w.domain, w.id, w);
  }

  /** A webhook was written or deleted: start, refresh or stop its worker. */
  async webhookChanged(domain: string, id: string): Promise<void> {
    this.sync(domain, id, await this.deps.store.getWebhook(domain, id));
  }

  private sync(domain: string, id: string, webhook: WebhookRecord | null): void {
    const key = workerKey(domain, id);
    const worker = this.workers.get(key);
    if (!webhook?.enabled) {
      worker?.stop();
      this.workers.delete(key);
      return;
    }
    if (worker) return worker.wake();
    const fresh = new WebhookWorker(domain, id, this.deps);
    this.workers.set(key, fresh);
    fresh.run();
  }

  /**
   * Replays one delivery: a pending one is attempted now; a finished one (succeeded or given up)
   * is sent once more, out of band (the webhook's queue does not wait for it).
   */
  retry(delivery: DeliveryRecord): void {
    const worker = this.workers.get(workerKey(delivery.domain, delivery.webhookId));
    if (delivery.status === "pending") return worker?.attemptNow();
    void replay(this.deps, delivery);
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
    this.workers.clear();
  }
}

class WebhookWorker {
  private stopped = false;
  private woken = false;
  private skipWait = false;
  private wakeUp?: () => void;
  private readonly abort = new AbortController();
  private running?: Promise<void>;

  constructor(
    readonly domain: string,
    readonly id: string,
    private readonly deps: DispatcherDeps,
  ) {}

  run(): void {
    this.running = this.loop();
  }

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  attemptNow(): void {
    this.skipWait = true;
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wake();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let waitMs: number;
      try {
        waitMs = await this.step();
      } catch (err) {
        if (this.stopped) return;
        this.log().error({ err }, "webhook delivery step failed");
        waitMs = ERROR_PAUSE_MS;
      }
      if (waitMs > 0) await this.sleep(waitMs);
    }
  }

  /** Does the next thing; returns how long to wait before the next step (Infinity: until new events). */
  private async step(): Promise<number> {
    const webhook = await this.deps.store.getWebhook(this.domain, this.id);
    if (!webhook?.enabled) return Infinity;
    const delivery = (await this.deps.store.pendingDelivery(this.domain, this.id)) ?? (await this.openNext(webhook));
    if (!delivery) return Infinity;
    if (delivery.status !== "pending") return 0; // another node finished it meanwhile: the cursor moved on
    const wait = (delivery.nextAttemptAt ?? 0) - Date.now();
    if (wait > 0 && !this.skipWait) return wait;
    this.skipWait = false;
    // Several nodes may run a worker for this webhook: only the one holding the claim attempts.
    const claimed = await this.deps.store.claimDelivery(delivery.id, CLAIM_MS);
    if (!claimed) return CLAIMED_ELSEWHERE_PAUSE_MS;
    await this.attempt(webhook, claimed);
    return 0;
  }

  /** Finds the next event this webhook takes, moving its cursor past the ones it does not; opens its delivery. */
  private async openNext(webhook: WebhookRecord): Promise<DeliveryRecord | null> {
    let cursor = webhook.cursor;
    for (;;) {
      this.woken = false;
      const batch = await this.deps.outbox.eventsAfter(this.domain, cursor, SCAN_BATCH);
      const next = batch.find((e) => subscribes(webhook, e.event.type) && !this.expiredSkip(e));
      if (next) {
        if (next.seq - 1 > webhook.cursor) await this.deps.store.advanceWebhookCursor(this.domain, this.id, next.seq - 1);
        const now = Date.now();
        const d = { id: newDeliveryId(now), domain: this.domain, webhookId: this.id, eventSeq: next.seq, eventId: next.event.id, eventType: next.event.type, nextAttemptAt: now, createdAt: new Date(now).toISOString() };
        return this.deps.store.createDelivery(d, KEEP_DELIVERIES);
      }
      if (batch.length === 0) return null;
      cursor = batch[batch.length - 1].seq;
      await this.deps.store.advanceWebhookCursor(this.domain, this.id, cursor);
      if (batch.length < SCAN_BATCH) return null;
    }
  }

  /** Events older than the give-up age are not even tried once (a receiver that was down for more than a day). */
  private expiredSkip(e: StoredEvent): boolean {
    if (!expired(e.event.occurredAt, Date.now())) return false;
    this.deps.counters?.onFinished("gave_up");
    return true;
  }

  private async attempt(webhook: WebhookRecord, delivery: DeliveryRecord): Promise<void> {
    const stored = await this.deps.outbox.getEvent(delivery.eventSeq);
    const result = stored ? await send(this.deps, webhook, stored, delivery, this.abort.signal) : null;
    if (this.stopped && result?.outcome !== "success") return this.deps.store.releaseDelivery(delivery.id); // cut off by shutdown: not an attempt
    const now = Date.now();
    const attempt = result ?? { at: new Date(now).toISOString(), statusCode: null, latencyMs: 0, error: "the event is no longer in the outbox", outcome: "network_error" as const };
    const delivered = attempt.outcome === "success";
    const giveUp = !delivered && (!stored || expired(stored.event.occurredAt, now));
    const status = delivered ? "succeeded" : giveUp ? "failed" : "pending";
    const nextAttemptAt = status === "pending" ? now + retryDelayMs(delivery.attempts + 1) : null;
    await this.deps.store.recordAttempt(delivery.id, strip(attempt), { status, nextAttemptAt, advanceCursor: status !== "pending" });
    if (status !== "pending") this.deps.counters?.onFinished(delivered ? "delivered" : "gave_up");
    const fields = { deliveryId: delivery.id, eventId: delivery.eventId, attempt: delivery.attempts + 1, statusCode: attempt.statusCode, ms: attempt.latencyMs };
    if (delivered) this.log().debug(fields, "webhook delivered");
    else this.log().warn({ ...fields, error: attempt.error, retryInMs: nextAttemptAt === null ? null : nextAttemptAt - now }, giveUp ? "webhook delivery given up" : "webhook delivery failed; retrying");
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || this.stopped) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(() => finish(), ms) : undefined;
      const finish = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        this.woken = false;
        resolve();
      };
      this.wakeUp = finish;
    });
  }

  private log() {
    return this.deps.logger.child({ domain: this.domain, webhookId: this.id });
  }
}

const strip = ({ outcome: _outcome, ...attempt }: AttemptResult) => attempt;

/** One signed POST of an event, inside the fair limiter. */
async function send(deps: DispatcherDeps, webhook: WebhookRecord, stored: StoredEvent, delivery: DeliveryRecord, signal?: AbortSignal): Promise<AttemptResult> {
  const body = JSON.stringify(stored.event);
  const release = await deps.limiter.acquire(webhook.domain);
  try {
    const headers = {
      "user-agent": deps.userAgent,
      [WEBHOOK_SIGNATURE_HEADER]: signWebhookPayload(body, webhook.secret),
      "LiveRelay-Event-Id": stored.event.id,
      "LiveRelay-Delivery-Id": delivery.id,
    };
    const result = await postEvent(webhook.url, body, headers, { allowPrivate: deps.allowPrivate, signal });
    deps.counters?.onAttempt(result.outcome);
    return result;
  } finally {
    release();
  }
}

/** A manual retry of a finished delivery: one more attempt, recorded in its history. */
async function replay(deps: DispatcherDeps, delivery: DeliveryRecord): Promise<void> {
  try {
    const [webhook, stored] = await Promise.all([deps.store.getWebhook(delivery.domain, delivery.webhookId), deps.outbox.getEvent(delivery.eventSeq)]);
    if (!webhook || !stored) return;
    const result = await send(deps, webhook, stored, delivery);
    const status = result.outcome === "success" ? "succeeded" : delivery.status;
    await deps.store.recordAttempt(delivery.id, strip(result), { status, nextAttemptAt: null, advanceCursor: false });
  } catch (err) {
    deps.logger.error({ err, deliveryId: delivery.id }, "webhook replay failed");
  }
}
