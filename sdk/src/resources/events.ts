import type { DomainEvent } from "@liverelay/api";
import { ApiError } from "../errors";
import { segment, type Transport } from "../http";

export interface EventStreamOptions {
  /** Ends the stream (the iterator returns). */
  signal?: AbortSignal;
  /** Start after this event id; default: only events from now on. Reconnections resume after the last event seen. */
  lastEventId?: string;
  /** Wait before reconnecting after the connection dropped. Default 1 000 ms. */
  reconnectDelayMs?: number;
}

/** Splits a text/event-stream into its messages (the subset of SSE the service sends: id, event, data, comments). */
export async function* sseMessages(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<{ id?: string; event?: string; data: string }> {
  const decoder = new TextDecoder(); // streaming: a UTF-8 character may straddle two chunks
  let buffer = "";
  let message: { id?: string; event?: string; data: string[] } = { data: [] };
  for await (const chunk of body) {
    buffer += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r?\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(buffer[newline] === "\r" ? newline + 2 : newline + 1);
      if (line === "") {
        if (message.data.length > 0) yield { id: message.id, event: message.event, data: message.data.join("\n") };
        message = { data: [] };
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "data") message.data.push(value);
      else if (field === "id") message.id = value;
      else if (field === "event") message.event = value;
    }
  }
}

/** `client.events`: the live tail of a domain's events. */
export class Events {
  constructor(private readonly http: Transport) {}

  /**
   * Every event of `domain` as it happens, typed by `type` (switch on it). When the connection
   * drops, it reconnects and resumes after the last event received, so none is missed while the
   * outbox still holds it (24 h). Ends when `signal` aborts; API errors (401, 404…) are thrown.
   */
  async *stream(domain: string, options: EventStreamOptions = {}): AsyncGenerator<DomainEvent> {
    const signal = options.signal ?? new AbortController().signal;
    let lastEventId = options.lastEventId;
    const path = `/v1/domains/${segment(domain, "domain")}/events`;
    while (!signal.aborted) {
      try {
        const headers: Record<string, string> = lastEventId ? { "last-event-id": lastEventId } : {};
        const body = await this.http.stream({ method: "GET", path, headers, signal });
        for await (const message of sseMessages(body)) {
          const event = JSON.parse(message.data) as DomainEvent;
          lastEventId = event.id;
          yield event;
        }
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ApiError && err.status !== 429 && err.status < 500) throw err;
      }
      if (signal.aborted) return;
      // The service ended the stream (restart) or the connection dropped: resume after the last event.
      await this.http.sleep(options.reconnectDelayMs ?? 1_000, signal).catch(() => undefined); // aborted: the loop ends
    }
  }
}
