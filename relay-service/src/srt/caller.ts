import { loadSrtAddon, type NativeCallerEvent, type NativeCallerPool } from "./native";

/** libsrt's reject reasons a caller sees (srt.h, enum SRT_REJECT_REASON). */
export const SRT_REJ = {
  PEER: 2,
  BACKLOG: 5,
  BADSECRET: 10,
  UNSECURE: 11,
  TIMEOUT: 16,
} as const;
/** Listener-chosen reasons (e.g. our own ingest's) start here: 1000+ predefined, 2000+ user. */
export const SRT_REJC_PREDEFINED = 1000;

export interface SrtCallerOptions {
  /** Numeric address (resolve names first: the addon never does DNS). */
  address: string;
  port: number;
  streamId?: string;
  passphrase?: string;
  /** 16, 24 or 32 (AES-128/192/256); libsrt's default 16 when absent. */
  pbkeylen?: number;
  latencyMs: number;
  connectTimeoutMs?: number;
  peerIdleTimeoutMs?: number;
  /** Backstop on the addon's queue; callers should bound their own writes below it. */
  maxQueueBytes?: number;
}

export type SrtCallerStats = Omit<Extract<NativeCallerEvent, { type: "stats" }>, "type" | "id">;
export type SrtCallerClose = Omit<Extract<NativeCallerEvent, { type: "closed" }>, "type" | "id">;

export interface SrtCallerHandlers {
  onConnected(): void;
  onStats(stats: SrtCallerStats): void;
  /** Exactly once, after which the caller is gone. */
  onClose(close: SrtCallerClose): void;
}

const callers = new Map<number, SrtCallerHandlers>();
let pool: NativeCallerPool | undefined;

function dispatch(events: NativeCallerEvent[]) {
  for (const ev of events) {
    const handlers = callers.get(ev.id);
    if (!handlers) continue;
    if (ev.type === "connected") handlers.onConnected();
    else if (ev.type === "stats") handlers.onStats(ev);
    else {
      callers.delete(ev.id);
      handlers.onClose(ev);
    }
  }
}

/**
 * One outgoing live-mode SRT connection, driven by the addon's caller I/O thread (design notes
 * in native/srt/src/caller.cc). Every method only queues work, so none can block the event loop;
 * the outcome arrives through the handlers in batches.
 */
export class SrtCaller {
  private closed = false;

  private constructor(
    private readonly native: NativeCallerPool,
    private readonly id: number,
  ) {}

  static connect(options: SrtCallerOptions, handlers: SrtCallerHandlers): SrtCaller {
    if (!pool) {
      const addon = loadSrtAddon();
      if (typeof addon.NativeCallerPool !== "function") {
        throw new Error("the SRT native addon predates the SRT caller; rebuild it with `npm rebuild @liverelay/service`");
      }
      pool = new addon.NativeCallerPool(dispatch);
    }
    const id = pool.connect(options);
    callers.set(id, {
      ...handlers,
      onClose: (close) => {
        caller.closed = true;
        handlers.onClose(close);
      },
    });
    const caller = new SrtCaller(pool, id);
    return caller;
  }

  /** False when the bytes were refused: the connection is gone or its queue is full. */
  send(data: Buffer): boolean {
    return !this.closed && this.native.send(this.id, data) >= 0;
  }

  queuedBytes(): number {
    return this.closed ? 0 : this.native.queued(this.id);
  }

  /** Sends what is queued, waits briefly for it to be acknowledged, closes ("finished"). */
  finish(): void {
    if (!this.closed) this.native.finish(this.id);
  }

  /** Closes at once ("closed"). */
  close(): void {
    if (!this.closed) this.native.close(this.id);
  }
}
