import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { EventData, EventType } from "@liverelay/api";
import { ANY_DOMAIN, type EventOutbox } from "./outbox";

/** Webhooks give up on an event 24 h after it occurred; the live tail can resume from as far back. */
export const EVENT_RETENTION_MS = 25 * 60 * 60 * 1000;
/** Whatever the rate, the outbox never holds more than this many events. */
export const MAX_OUTBOX_EVENTS = 500_000;
const PRUNE_EVERY_MS = 60_000;

/** What an emitter needs: hub adapters, supervisors and the publish gate take this, not the bus. */
export interface EventSink {
  emit<T extends EventType>(domain: string, type: T, data: EventData<T>): void;
}

/**
 * The domain event bus. `emit` writes the event to the outbox in the same turn as the change it
 * describes (so a crash right after loses nothing the outbox can't replay); consumers (webhooks,
 * the live tail) are told a domain has news and read the outbox from where they are, so none of
 * them can miss, reorder or hold an event in memory.
 */
export class EventBus implements EventSink {
  private readonly appended = new EventEmitter<{ appended: [domain: string, lastSeq: number] }>();
  private pruneTimer?: NodeJS.Timeout;
  /** The last sequence announced per domain: the change feed repeats this node's own commits, told once. */
  private readonly announced = new Map<string, number>();

  constructor(
    private readonly outbox: EventOutbox,
    private readonly logger: Logger,
  ) {
    this.appended.setMaxListeners(0);
    outbox.onEventsAppended((domain, lastSeq) => this.announce(domain, lastSeq));
  }

  emit<T extends EventType>(domain: string, type: T, data: EventData<T>): void {
    this.outbox.appendEvent({ domain, type, occurredAt: new Date().toISOString(), data }).catch((err: unknown) => {
      // Only when the store is closing or broken: the change itself already happened.
      this.logger.error({ err, domain, type }, "event not recorded");
    });
  }

  /**
   * Events of `domain` up to `lastSeq` were committed, here or on another node (the store's change
   * feed); `ANY_DOMAIN` wakes every consumer. Consumers re-read the outbox, so a repeat is harmless.
   */
  announce(domain: string, lastSeq: number): void {
    if (domain !== ANY_DOMAIN && (this.announced.get(domain) ?? 0) >= lastSeq) return;
    if (domain !== ANY_DOMAIN) this.announced.set(domain, lastSeq);
    this.appended.emit("appended", domain, lastSeq);
  }

  /** Called after events of `domain` (or ANY_DOMAIN) were committed (up to `lastSeq`). */
  onAppended(listener: (domain: string, lastSeq: number) => void): () => void {
    this.appended.on("appended", listener);
    return () => this.appended.off("appended", listener);
  }

  /** Starts the retention: events older than EVENT_RETENTION_MS, or beyond MAX_OUTBOX_EVENTS, go. */
  startRetention(): void {
    const prune = () =>
      this.outbox.pruneEvents(new Date(Date.now() - EVENT_RETENTION_MS).toISOString(), MAX_OUTBOX_EVENTS).catch((err: unknown) => this.logger.error({ err }, "pruning the outbox failed"));
    void prune();
    this.pruneTimer = setInterval(prune, PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  stop(): void {
    clearInterval(this.pruneTimer);
  }
}
