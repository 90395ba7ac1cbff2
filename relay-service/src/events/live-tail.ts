import type { ServerResponse } from "node:http";
import type { Logger } from "pino";
import { ANY_DOMAIN, type EventOutbox, type StoredEvent } from "./outbox";

export const MAX_TAIL_CLIENTS = 100;
export const MAX_TAIL_CLIENTS_PER_DOMAIN = 20;
const HEARTBEAT_MS = 15_000;
const BATCH = 200;
/** A client that has not read what it was sent for this long is cut off (it reconnects with Last-Event-ID). */
const STUCK_MS = 60_000;

/** One event as an SSE frame: `id`, `event` (the type), `data` (the whole event, one line of JSON). */
const frame = ({ event }: StoredEvent) => `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

/**
 * The live tail: Server-Sent Events per domain. Each client has a cursor in the outbox and
 * reads from there whenever its domain has news, so a resume (`Last-Event-ID`) and a live event
 * take the same path: none missed, none twice, and no event is held in memory per client. A
 * client that does not read is not buffered for: it waits on `drain`, and is cut after 60 s.
 */
export class LiveTail {
  private readonly clients = new Set<TailClient>();
  private unsubscribe?: () => void;
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly outbox: EventOutbox,
    private readonly onAppended: (listener: (domain: string) => void) => () => void,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.unsubscribe = this.onAppended((domain) => {
      for (const c of this.clients) if (c.domain === domain || domain === ANY_DOMAIN) c.pump();
    });
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) c.ping();
    }, HEARTBEAT_MS);
  }

  /**
   * Starts streaming to `res` after event `afterSeq` (undefined: from now on). Returns a promise
   * that settles when the client goes, or null when the client limits are reached.
   */
  open(domain: string, afterSeq: number | undefined, res: ServerResponse): Promise<void> | null {
    const inDomain = [...this.clients].filter((c) => c.domain === domain).length;
    if (this.clients.size >= MAX_TAIL_CLIENTS || inDomain >= MAX_TAIL_CLIENTS_PER_DOMAIN) return null;
    const client = new TailClient(domain, res, this.outbox, this.logger);
    this.clients.add(client);
    return client.begin(afterSeq).finally(() => this.clients.delete(client));
  }

  get size(): number {
    return this.clients.size;
  }

  /** Service shutdown: ends every stream (clients reconnect elsewhere with Last-Event-ID). */
  stop(): void {
    this.unsubscribe?.();
    clearInterval(this.heartbeat);
    for (const c of this.clients) c.end();
  }
}

class TailClient {
  private cursor = 0;
  private pumping = false;
  private again = false;
  private closed = false;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    readonly domain: string,
    private readonly res: ServerResponse,
    private readonly outbox: EventOutbox,
    private readonly logger: Logger,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    res.on("close", () => this.finish());
  }

  async begin(afterSeq: number | undefined): Promise<void> {
    this.cursor = afterSeq ?? (await this.outbox.lastEventSeq());
    this.res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
    this.res.write("retry: 2000\n\n");
    this.pump();
    return this.done;
  }

  /** Sends whatever the outbox has past the cursor; a call while sending makes it look again afterwards. */
  pump(): void {
    if (this.closed) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.drainOutbox()
      .catch((err: unknown) => {
        this.logger.warn({ err, domain: this.domain }, "live tail ended by an error");
        this.end();
      })
      .finally(() => (this.pumping = false));
  }

  private async drainOutbox(): Promise<void> {
    do {
      this.again = false;
      const batch = await this.outbox.eventsAfter(this.domain, this.cursor, BATCH);
      for (const e of batch) {
        if (this.closed) return;
        this.cursor = e.seq;
        if (!this.res.write(frame(e))) await this.writable();
      }
      if (batch.length === BATCH) this.again = true;
    } while (this.again && !this.closed);
  }

  private writable(): Promise<void> {
    return new Promise((resolve) => {
      const stuck = setTimeout(() => this.end(), STUCK_MS);
      const go = () => {
        clearTimeout(stuck);
        this.res.off("drain", go);
        this.res.off("close", go);
        resolve();
      };
      this.res.on("drain", go);
      this.res.on("close", go);
    });
  }

  ping(): void {
    if (!this.closed && this.res.writableLength === 0) this.res.write(": keep-alive\n\n");
  }

  end(): void {
    this.res.end();
    this.res.destroy();
    this.finish();
  }

  private finish(): void {
    this.closed = true;
    this.resolveDone();
  }
}
