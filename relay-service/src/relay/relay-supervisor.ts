import type { Logger } from "pino";
import type { RelayState, RelayStatus, RelayTemplate } from "@liverelay/sdk/schemas";
import type { StreamHub } from "../hub/stream-hub";
import type { LiveStream } from "../hub/live-stream";
import { Backoff } from "./backoff";
import { protocolMatches } from "./destination";
import { findRelayLoops, type SelfIngest } from "./relay-loops";
import type { RelayEngine, RelayEngineFactory, RelayExit } from "./relay-engine";
import { isActive } from "./schedule";

/** No output growth for this long → the relay is killed and restarted. */
export const STALL_TIMEOUT_MS = 10_000;
const TICK_MS = 200;

type Desired =
  | { run: true; stream: LiveStream }
  | { run: false; state: "inactive" | "waiting" }
  | { run: false; state: "error"; code: "ProtocolMismatch" | "RelayLoop"; message: string };

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
  private templates: RelayTemplate[] = [];
  private loops = new Set<string>();
  private timer?: NodeJS.Timeout;
  private pendingReload?: Promise<void>;
  private finishedBytesOut = 0;

  constructor(
    private readonly deps: {
      hub: StreamHub;
      loadTemplates: () => Promise<RelayTemplate[]>;
      engineFactory: RelayEngineFactory;
      self: SelfIngest;
      logger: Logger;
      counters?: RelayCounters;
    },
  ) {}

  async start(): Promise<void> {
    await this.reload();
    this.deps.hub.on("stream-start", () => this.reconcile());
    this.deps.hub.on("stream-end", () => this.reconcile());
    this.timer = setInterval(() => this.reconcile(), TICK_MS);
  }

  /** Templates changed (API write): reload them on the next turn of the event loop, once per burst. */
  templatesChanged(): void {
    this.pendingReload ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        this.pendingReload = undefined;
        this.reload().then(resolve, (err: unknown) => {
          this.deps.logger.error({ err }, "reloading relay templates failed");
          resolve();
        });
      }),
    );
  }

  /** Resolves once every change reported so far is reflected in the relays' status. */
  async settled(): Promise<void> {
    await this.pendingReload;
  }

  status(domain: string, templateId: string): RelayStatus | null {
    const relay = this.relays.get(templateId);
    return relay && relay.template.domain === domain ? this.describe(relay) : null;
  }

  list(domain: string): RelayStatus[] {
    return [...this.relays.values()].filter((r) => r.template.domain === domain).map((r) => this.describe(r));
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
    await Promise.all([...this.relays.values()].map((r) => this.stopEngine(r)));
  }

  private async reload() {
    this.templates = await this.deps.loadTemplates();
    this.reconcile();
  }

  private reconcile() {
    const now = new Date();
    const active = this.templates.filter((t) => isActive(t, now));
    this.loops = findRelayLoops(active, this.deps.self);
    const present = new Set<string>();
    for (const t of this.templates) {
      present.add(t.id);
      const relay = this.relays.get(t.id) ?? this.track(t);
      relay.template = t;
      this.apply(relay, this.desired(t, now));
    }
    for (const [id, relay] of this.relays) {
      if (present.has(id)) continue;
      void this.stopEngine(relay);
      this.relays.delete(id);
    }
  }

  private desired(t: RelayTemplate, now: Date): Desired {
    if (!isActive(t, now)) return { run: false, state: "inactive" };
    if (this.loops.has(t.id)) {
      return { run: false, state: "error", code: "RelayLoop", message: "this relay feeds its own source through this service (a → b → a); refused" };
    }
    const stream = this.deps.hub.get(t);
    if (!stream) return { run: false, state: "waiting" };
    if (!protocolMatches(stream.protocol, t.destinationUrl)) {
      const wanted = stream.protocol === "srt" ? "srt" : "rtmp or rtmps";
      return { run: false, state: "error", code: "ProtocolMismatch", message: `the stream was ingested over ${stream.protocol}; its destination must be ${wanted}` };
    }
    return { run: true, stream };
  }

  private track(t: RelayTemplate): Relay {
    const relay: Relay = { template: t, state: "inactive", since: new Date(), restarts: 0, bytesOutBefore: 0, backoff: new Backoff() };
    this.relays.set(t.id, relay);
    return relay;
  }

  private apply(relay: Relay, want: Desired) {
    if (!want.run) {
      if (relay.engine) void this.stopEngine(relay);
      relay.retryAt = undefined;
      if (want.state === "error") this.setError(relay, want.code, want.message);
      else relay.backoff.reset();
      this.setState(relay, want.state);
      return;
    }
    if (relay.engine) return this.watch(relay);
    if (relay.retryAt !== undefined && Date.now() < relay.retryAt) return this.setState(relay, "retrying");
    this.startEngine(relay, want.stream);
  }

  private startEngine(relay: Relay, stream: LiveStream) {
    const t = relay.template;
    const engine = this.deps.engineFactory({ templateId: t.id, destinationUrl: t.destinationUrl, inputFormat: stream.protocol === "srt" ? "mpegts" : "flv" });
    relay.engine = engine;
    relay.startedAt = Date.now();
    relay.retryAt = undefined;
    engine.onExit((exit) => this.onEngineExit(relay, engine, exit));
    engine.start();
    relay.unsubscribe = stream.subscribe(engine);
    this.setState(relay, "starting");
    this.log(relay).info("relay started");
  }

  /** starting → relaying on the first bytes out; a stall gets the worker killed (then retried). */
  private watch(relay: Relay) {
    const stats = relay.engine!.stats();
    if (relay.state === "starting" && stats.bytesOut > 0) this.setState(relay, "relaying");
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
    if (exit.kind === "failed") this.setError(relay, "DestinationFailed", exit.message);
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
    relay.state = state;
    relay.since = new Date();
    if (state === "relaying") this.log(relay).info("relaying");
  }

  private setError(relay: Relay, code: string, message: string) {
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
