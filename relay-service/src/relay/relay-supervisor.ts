import type { Logger } from "pino";
import type { RelayState, RelayStatus, RelayTemplate } from "@liverelay/api";
import type { StreamHub } from "../hub/stream-hub";
import type { LiveStream } from "../hub/live-stream";
import { Backoff } from "../supervisor/backoff";
import { PacedQueue } from "../supervisor/paced-queue";
import { destinationContainer, protocolMatches } from "./destination";
import { findRelayLoops, selfTargetParser, type SelfIngest } from "./relay-loops";
import type { RelayEngine, RelayEngineFactory, RelayExit } from "./relay-engine";
import { isActive } from "./schedule";
import { redactText } from "@liverelay/api";
import type { EventSink } from "../events/event-bus";

/** No output growth for this long → the relay is killed and restarted. */
export const STALL_TIMEOUT_MS = 10_000;
const TICK_MS = 200;
const RELOAD_DEBOUNCE_MS = 50;
/**
 * Relays started per turn of the event loop. A stream with 200 templates going live would
 * otherwise start them all inside the publisher's own turn; in batches, publishers, API calls
 * and other tenants' streams get the loop between them.
 */
export const STARTS_PER_TURN = 10;
/** In-process relays reconnect almost for free: retry every 1–2 s for this long before backing off. */
const FAST_RETRY_FOR_MS = 5 * 60_000;

type Desired =
  | { run: true; stream: LiveStream }
  | { run: false; state: "inactive" | "waiting" }
  | { run: false; state: "error"; code: "ProtocolMismatch" | "RelayLoop" | "ConversionUnsupported"; message: string };

interface Relay {
  template: RelayTemplate;
  state: RelayState;
  since: Date;
  lastError?: { code: string; message: string; at: string };
  restarts: number;
  bytesOutBefore: number;
  engine?: RelayEngine;
  unsubscribe?: () => void;
  startedAt?: number;
  retryAt?: number;
  backoff: Backoff;
  /** Set when the supervisor killed the worker for a stall: that stop is a failure, not a decision. */
  stalled?: boolean;
}

export interface RelayCounters {
  onRestart(): void;
}

/**
 * Makes the running relays match the templates: the scheduler part decides what should run
 * (window, live source, protocol, loops); the supervisor part starts, stops, restarts with
 * backoff and watches for stalls. Decisions come from the desired state, never from how a
 * worker exited (ffmpeg exits 0 when its source ends).
 */
export class RelaySupervisor {
  private relays = new Map<string, Relay>();
  private templates = new Map<string, RelayTemplate>();
  private reloadWanted = false;
  /** Templates written since the last pass: a burst of API writes only re-evaluates these. */
  private readonly dirty = new Set<string>();
  private loops = new Set<string>();
  private timer?: NodeJS.Timeout;
  private pendingReload?: Promise<void>;
  private readonly selfTarget: ReturnType<typeof selfTargetParser>;
  private finishedBytesOut = 0;
  /** Relays due to start (template id → cancel), started STARTS_PER_TURN per turn. */
  private readonly queuedStarts = new Map<string, () => void>();
  private readonly starts = new PacedQueue(STARTS_PER_TURN);

  constructor(
    private readonly deps: {
      hub: StreamHub;
      loadTemplates: () => Promise<RelayTemplate[]>;
      engineFactory: RelayEngineFactory;
      self: SelfIngest;
      logger: Logger;
      counters?: RelayCounters;
      events?: EventSink;
      /** Whether this node runs the relays of a local stream (in a cluster: it holds the stream's lease). Absent: always. */
      runsHere?: (stream: LiveStream) => boolean;
      /**
       * Whether this node reports the state changes of a stream's relays (in a cluster every node
       * computes `inactive`/`waiting` alike, and one of them reports them). Absent: always.
       */
      reportsFor?: (source: { domain: string; appName: string; streamName: string }) => boolean;
    },
  ) {
    this.selfTarget = selfTargetParser(deps.self);
  }

  async start(): Promise<void> {
    await this.reload();
    this.deps.hub.on("stream-start", () => this.reconcile());
    this.deps.hub.on("stream-end", () => this.reconcile());
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /**
   * Templates changed (API write): apply the change to the in-memory view and reconcile shortly,
   * once per burst (a full reload when the change is not known). The short delay lets a burst of
   * writes share one pass over the templates, while relays still start and stop well within a second.
   */
  templatesChanged(change?: { upserted: RelayTemplate } | { removed: string }): void {
    if (change && "upserted" in change) {
      this.templates.set(change.upserted.id, change.upserted);
      this.dirty.add(change.upserted.id);
    } else if (change) {
      this.templates.delete(change.removed);
      this.dirty.add(change.removed);
    } else this.reloadWanted = true;
    this.pendingReload ??= new Promise<void>((resolve) =>
      setTimeout(() => {
        this.pendingReload = undefined;
        const reload = this.reloadWanted;
        this.reloadWanted = false;
        const changed = [...this.dirty];
        this.dirty.clear();
        (reload ? this.reload() : Promise.resolve(this.reconcile(changed))).then(resolve, (err: unknown) => {
          this.deps.logger.error({ err }, "reloading relay templates failed");
          resolve();
        });
      }, RELOAD_DEBOUNCE_MS),
    );
  }

  /** Which streams this node runs relays for changed (a lease confirmed or lost): re-evaluate now. */
  sourcesChanged(): void {
    this.reconcile();
  }

  /** Relays' status with their template (every domain's when omitted): what a cluster node publishes for the streams it holds. */
  listAll(domain?: string): { template: RelayTemplate; status: RelayStatus }[] {
    const relays = [...this.relays.values()].filter((r) => domain === undefined || r.template.domain === domain);
    return relays.map((r) => ({ template: r.template, status: this.describe(r) }));
  }

  /** One relay's status with its template; null when the domain has no such template. */
  entry(domain: string, templateId: string): { template: RelayTemplate; status: RelayStatus } | null {
    const relay = this.relays.get(templateId);
    return relay && relay.template.domain === domain ? { template: relay.template, status: this.describe(relay) } : null;
  }

  /** Resolves once every change reported so far is reflected in the relays' status. */
  async settled(): Promise<void> {
    await this.pendingReload;
  }

  countByState(): Record<RelayState, number> {
    const counts: Record<RelayState, number> = { inactive: 0, waiting: 0, starting: 0, relaying: 0, retrying: 0, error: 0 };
    for (const r of this.relays.values()) counts[r.state]++;
    return counts;
  }

  /** Bytes sent by every relay since the service started (finished runs plus running ones). */
  bytesOutTotal(): number {
    let live = 0;
    for (const r of this.relays.values()) live += r.engine?.stats().bytesOut ?? 0;
    return this.finishedBytesOut + live;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.starts.clear();
    this.queuedStarts.clear();
    await Promise.all([...this.relays.values()].map((r) => this.stopEngine(r)));
  }

  private async reload() {
    this.templates = new Map((await this.deps.loadTemplates()).map((t) => [t.id, t]));
    this.reconcile();
  }

  /** Re-evaluates the given templates (all of them when omitted), plus any whose loop status changed. */
  private reconcile(only?: Iterable<string>) {
    const now = new Date();
    const before = this.loops;
    this.loops = this.findLoops(now);
    const ids = new Set(only ?? [...this.templates.keys(), ...this.relays.keys()]);
    for (const id of before) if (!this.loops.has(id)) ids.add(id);
    for (const id of this.loops) if (!before.has(id)) ids.add(id);
    for (const id of ids) this.reconcileOne(id, now);
  }

  private reconcileOne(id: string, now: Date) {
    const t = this.templates.get(id);
    const relay = this.relays.get(id);
    if (!t) {
      this.cancelStart(id);
      if (relay) void this.stopEngine(relay);
      this.relays.delete(id);
      return;
    }
    const r = relay ?? this.track(t);
    r.template = t;
    this.apply(r, this.desired(t, now));
  }

  /**
   * The timer only needs what time can change: windows opening or closing, running workers
   * (stall watch, starting → relaying) and backoffs ending. Everything else changes on events.
   */
  private tick() {
    const ids: string[] = [];
    for (const t of this.templates.values()) if (t.mode === "time") ids.push(t.id);
    for (const [id, r] of this.relays) if (r.engine || r.retryAt !== undefined) ids.push(id);
    this.reconcile(ids);
  }

  /** Loops can only involve active templates whose destination is this service's own ingest. */
  private findLoops(now: Date): Set<string> {
    const candidates: RelayTemplate[] = [];
    for (const t of this.templates.values()) if (this.selfTarget(t) && isActive(t, now)) candidates.push(t);
    return findRelayLoops(candidates, this.deps.self, this.selfTarget);
  }

  private desired(t: RelayTemplate, now: Date): Desired {
    if (!isActive(t, now)) return { run: false, state: "inactive" };
    if (this.loops.has(t.id)) {
      return { run: false, state: "error", code: "RelayLoop", message: "this relay feeds its own source through this service (a → b → a); refused" };
    }
    const stream = this.deps.hub.get(t);
    if (!stream || (this.deps.runsHere && !this.deps.runsHere(stream))) return { run: false, state: "waiting" };
    if (protocolMatches(stream.protocol, t.destinationUrl)) return { run: true, stream };
    if (!t.protocolConversion) {
      const wanted = stream.protocol === "srt" ? "srt" : "rtmp or rtmps";
      return { run: false, state: "error", code: "ProtocolMismatch", message: `the stream was ingested over ${stream.protocol}; its destination must be ${wanted}` };
    }
    const unconvertible = unconvertibleCodec(stream);
    if (unconvertible) {
      return { run: false, state: "error", code: "ConversionUnsupported", message: `the stream's ${unconvertible} cannot be converted to the destination's container (H.264, HEVC and AAC can)` };
    }
    return { run: true, stream };
  }

  private track(t: RelayTemplate): Relay {
    const relay: Relay = { template: t, state: "inactive", since: new Date(), restarts: 0, bytesOutBefore: 0, backoff: new Backoff({ fastRetryForMs: FAST_RETRY_FOR_MS }) };
    this.relays.set(t.id, relay);
    return relay;
  }

  private apply(relay: Relay, want: Desired) {
    if (!want.run) {
      this.cancelStart(relay.template.id);
      if (relay.engine) void this.stopEngine(relay);
      relay.retryAt = undefined;
      if (want.state === "error") this.setError(relay, want.code, want.message);
      else relay.backoff.reset();
      this.setState(relay, want.state);
      return;
    }
    if (relay.engine) return this.watch(relay);
    if (relay.retryAt !== undefined && Date.now() < relay.retryAt) return this.setState(relay, "retrying");
    this.queueStart(relay);
  }

  private queueStart(relay: Relay) {
    const id = relay.template.id;
    if (this.queuedStarts.has(id)) return;
    this.queuedStarts.set(id, this.starts.enqueue(() => {
      this.queuedStarts.delete(id);
      this.startQueued(relay);
    }));
    this.setState(relay, "starting");
  }

  private cancelStart(id: string) {
    this.queuedStarts.get(id)?.();
    this.queuedStarts.delete(id);
  }

  /** Re-checked at its turn: the template or the stream may have changed meanwhile. */
  private startQueued(relay: Relay) {
    if (this.relays.get(relay.template.id) !== relay || relay.engine) return;
    const want = this.desired(relay.template, new Date());
    if (want.run) this.startEngine(relay, want.stream);
    else this.apply(relay, want);
  }

  private startEngine(relay: Relay, stream: LiveStream) {
    const t = relay.template;
    // The hub muxes the destination's container (from the stream's frames when the ingest used the other one).
    const container = destinationContainer(t.destinationUrl);
    const engine = this.deps.engineFactory({ templateId: t.id, destinationUrl: t.destinationUrl, inputFormat: container });
    relay.engine = engine;
    relay.startedAt = Date.now();
    relay.retryAt = undefined;
    engine.onExit((exit) => this.onEngineExit(relay, engine, exit));
    engine.start();
    relay.unsubscribe = stream.subscribe(engine, { container });
    this.setState(relay, "starting");
    this.log(relay).info("relay started");
  }

  /** starting → relaying once a frame is out; a stall gets the worker killed (then retried). */
  private watch(relay: Relay) {
    const stats = relay.engine!.stats();
    if (relay.state === "starting" && stats.mediaOut) this.setState(relay, "relaying");
    const lastMove = stats.lastProgressAt || relay.startedAt!;
    if (Date.now() - lastMove > STALL_TIMEOUT_MS) {
      this.setError(relay, "Stalled", `no data reached the destination for ${STALL_TIMEOUT_MS / 1000} s; restarting`);
      relay.stalled = true;
      void relay.engine!.stop();
    }
  }

  private onEngineExit(relay: Relay, engine: RelayEngine, exit: RelayExit) {
    if (relay.engine !== engine) return;
    relay.bytesOutBefore += engine.stats().bytesOut;
    this.finishedBytesOut += engine.stats().bytesOut;
    relay.unsubscribe?.();
    relay.engine = undefined;
    relay.backoff.ranFor(Date.now() - (relay.startedAt ?? Date.now()));
    const stalled = relay.stalled;
    relay.stalled = false;
    if (exit.kind === "stopped" && !stalled) return;
    if (exit.kind === "source-ended") return this.reconcile();
    if (exit.kind === "failed") this.setError(relay, exit.code ?? "DestinationFailed", exit.message);
    if (exit.kind === "overflow") this.setError(relay, "SlowDestination", "the destination did not keep up; the relay was dropped and restarts");
    const delay = relay.backoff.next();
    relay.retryAt = Date.now() + delay;
    relay.restarts++;
    this.deps.counters?.onRestart();
    this.setState(relay, "retrying");
    this.log(relay).warn({ retryInMs: delay, error: relay.lastError?.code }, "relay failed; retrying");
  }

  private async stopEngine(relay: Relay) {
    const engine = relay.engine;
    if (!engine) return;
    await engine.stop();
  }

  private setState(relay: Relay, state: RelayState) {
    if (relay.state === state) return;
    this.emitStateChange(relay, relay.state, state);
    relay.state = state;
    relay.since = new Date();
    if (state === "relaying") this.log(relay).info("relaying");
  }

  private emitStateChange(relay: Relay, from: RelayState, to: RelayState) {
    const t = relay.template;
    const e = relay.lastError;
    const lastError = e ? { code: e.code, message: e.message, at: e.at } : null;
    if (this.deps.reportsFor && !this.deps.reportsFor(t)) return;
    this.deps.events?.emit(t.domain, "relay.state_changed", { templateId: t.id, appName: t.appName, streamName: t.streamName, from, to, lastError });
  }

  /** Redacted here, once: status, events and logs all read `lastError`, whichever engine wrote the message. */
  private setError(relay: Relay, code: string, rawMessage: string) {
    const message = redactText(rawMessage);
    if (relay.lastError?.code === code && relay.lastError.message === message) return;
    relay.lastError = { code, message, at: new Date().toISOString() };
  }

  private describe(r: Relay): RelayStatus {
    const stats = r.engine?.stats();
    const live = r.state === "relaying" && stats;
    return {
      templateId: r.template.id,
      state: r.state,
      ...(r.lastError ? { lastError: r.lastError } : {}),
      restarts: r.restarts,
      since: r.since.toISOString(),
      bitrateKbps: live ? stats.bitrateKbps : 0,
      fps: live ? stats.fps : 0,
      bytesOut: r.bytesOutBefore + (stats?.bytesOut ?? 0),
    };
  }

  private log(r: Relay) {
    const t = r.template;
    return this.deps.logger.child({ templateId: t.id, domain: t.domain, appName: t.appName, streamName: t.streamName });
  }
}

/**
 * A codec the hub cannot carry into the other container, as the ingest names it (onMetaData or
 * the PMT); null when it can, or before the stream says. Video other than H.264/HEVC has no
 * frames to convert; without video, audio other than AAC has none either. (Beside convertible
 * video, other audio is left out of the converted stream.)
 */
function unconvertibleCodec(stream: LiveStream): string | null {
  const { videoCodec, audioCodec } = stream.describe();
  if (videoCodec) return CONVERTIBLE_VIDEO.has(videoCodec) ? null : `video codec ${videoCodec}`;
  if (audioCodec && audioCodec !== "aac") return `audio codec ${audioCodec}`;
  return null;
}

const CONVERTIBLE_VIDEO = new Set(["h264", "hevc"]);
