import type { DomainEvent, EventType } from "@liverelay/api";

/** An event before the outbox gave it its id. */
export interface NewEvent {
  domain: string;
  type: EventType;
  occurredAt: string;
  data: unknown;
}

/** An event as the outbox holds it: `seq` orders every event (and so each domain's). */
export interface StoredEvent {
  seq: number;
  event: DomainEvent;
}

/**
 * The outbox: every event, in order. What webhooks deliver and the live tail streams; the
 * store's template writes append theirs inside their own transaction.
 */
export interface EventOutbox {
  /** Appends in the same turn (the SQLite store writes before it returns); listeners hear of it after the commit. */
  appendEvent(event: NewEvent): Promise<StoredEvent>;
  /** Told after every commit that appended events (from appendEvent or from a write that records its own). */
  onEventsAppended(listener: (domain: string, lastSeq: number) => void): void;
  eventsAfter(domain: string, afterSeq: number, limit: number): Promise<StoredEvent[]>;
  getEvent(seq: number): Promise<StoredEvent | null>;
  lastEventSeq(): Promise<number>;
  /** Removes events that occurred before `before` (ISO time), and the oldest beyond `keepAtMost`; returns how many. */
  pruneEvents(before: string, keepAtMost: number): Promise<number>;
}

/** Announced instead of a domain when events of any domain may have been missed (the store's change feed resynchronised). */
export const ANY_DOMAIN = "*";

/** Event ids are the outbox sequence, fixed-width so they also sort as strings. */
export const eventIdOf = (seq: number) => `evt_${String(seq).padStart(12, "0")}`;

/** The sequence number behind an event id, or null when it is not one. */
export function seqOfEventId(id: string): number | null {
  const m = /^evt_(\d{1,15})$/.exec(id.trim());
  return m ? Number(m[1]) : null;
}
