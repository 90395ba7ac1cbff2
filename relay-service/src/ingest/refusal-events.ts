import type { EventSink } from "../events/event-bus";
import { streamKeyString, type IngestProtocol, type StreamKey } from "../hub/live-stream";

/** One ingest.rejected event per stream and reason in this window; the rest are counted into the next. */
const WINDOW_MS = 10_000;
/** Every domain together: at most this many ingest.rejected events per window. */
const MAX_EVENTS_PER_WINDOW = 200;
const MAX_TRACKED = 10_000;

/**
 * Turns publish refusals into `ingest.rejected` events without letting an unauthenticated
 * caller flood the outbox (some SRT callers retry ~100 times a second): per stream and
 * reason one event per window, a global cap per window, and a bounded table of what was held back.
 */
export class RefusalEvents {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  private windowStart = 0;
  private inWindow = 0;

  constructor(
    private readonly events: EventSink,
    private readonly now: () => number = Date.now,
  ) {}

  refused(key: StreamKey, protocol: IngestProtocol, reason: "Unauthorized" | "Conflict", detail: string, remoteAddress: string): void {
    const now = this.now();
    const id = `${streamKeyString(key)}\n${reason}`;
    const seen = this.last.get(id);
    if (seen && now - seen.at < WINDOW_MS) {
      seen.suppressed++;
      return;
    }
    if (!this.takeGlobal(now)) {
      if (seen) seen.suppressed++;
      return;
    }
    if (this.last.size >= MAX_TRACKED) this.forgetOld(now);
    this.last.set(id, { at: now, suppressed: 0 });
    this.events.emit(key.domain, "ingest.rejected", { appName: key.appName, streamName: key.streamName, protocol, reason, detail, remoteAddress, suppressed: seen?.suppressed ?? 0 });
  }

  private takeGlobal(now: number): boolean {
    if (now - this.windowStart >= WINDOW_MS) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    return this.inWindow++ < MAX_EVENTS_PER_WINDOW;
  }

  private forgetOld(now: number): void {
    for (const [id, s] of this.last) if (now - s.at >= WINDOW_MS) this.last.delete(id);
    if (this.last.size >= MAX_TRACKED) this.last.clear();
  }
}
