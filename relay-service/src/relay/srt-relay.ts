import dns from "node:dns/promises";
import net from "node:net";
import { parseSrtDestination, type SrtDestination } from "@liverelay/api";
import { TsFrameCounter } from "../media/ts-frame-counter";
import { SRT_REJ, SRT_REJC_PREDEFINED, SrtCaller, type SrtCallerClose, type SrtCallerStats } from "../srt/caller";
import type { RelayEngine, RelayEngineOptions, RelayExit, RelayStats } from "./relay-engine";

/** libsrt's defaults, stated so the error messages can name them. */
const CONNECT_TIMEOUT_MS = 3_000;
const PEER_IDLE_TIMEOUT_MS = 5_000;
const DEFAULT_LATENCY_MS = 120;
/** Backstop only: the hub drops a reader long before (MAX_SUBSCRIBER_QUEUE_BYTES). */
const NATIVE_QUEUE_LIMIT_BYTES = 16 * 1024 * 1024;
/** stop() resolves even if the addon never reports the close (it always should). */
const STOP_GRACE_MS = 5_000;
const RATE_WINDOW_MS = 2_000;

export interface SrtRelayOptions extends RelayEngineOptions {
  /** Host name → address; dns.lookup by default (libuv's pool, never the event loop). */
  lookup?: (host: string) => Promise<string>;
}

type Sample = { at: number; bytes: number; frames: number };

/**
 * The relay of an SRT-ingested stream to an `srt://` destination, in-process: the hub's MPEG-TS
 * packets go to an SRT caller on the addon's I/O thread (srt/caller.ts), which sends them in
 * 1316-byte live-mode payloads. Stats come from libsrt: `bytesOut` counts bytes the destination
 * acknowledged, so `relaying` means media really arrived; `fps` counts the video PES sent.
 */
export class SrtRelay implements RelayEngine {
  readonly name: string;
  private caller?: SrtCaller;
  /** Bytes the hub wrote while the host name was being resolved. */
  private early: Buffer[] = [];
  private earlyBytes = 0;
  private decided?: RelayExit;
  private exited = false;
  private exitHandlers: ((exit: RelayExit) => void)[] = [];
  private readonly frames = new TsFrameCounter();
  private acked = 0;
  private samples: Sample[] = [];
  private current: RelayStats = { bytesOut: 0, bitrateKbps: 0, fps: 0, lastProgressAt: 0, mediaOut: false };
  private stopped?: Promise<void>;

  constructor(private readonly opts: SrtRelayOptions) {
    this.name = `relay ${opts.templateId}`;
  }

  start(): void {
    const parsed = parseSrtDestination(this.opts.destinationUrl);
    if (!parsed.ok) return this.exitLater({ kind: "failed", code: "InvalidDestination", message: parsed.problem });
    const dest = parsed.value;
    const lookup = this.opts.lookup ?? defaultLookup;
    (net.isIP(dest.host) ? Promise.resolve(dest.host) : lookup(dest.host)).then(
      (address) => this.connect(dest, address),
      (err: NodeJS.ErrnoException) => this.exitLater({ kind: "failed", code: "DnsFailed", message: `cannot resolve the destination host (${err.code ?? "lookup failed"})` }),
    );
  }

  write(chunk: Buffer): void {
    if (this.exited || this.decided) return;
    this.frames.push(chunk);
    if (this.caller) this.caller.send(chunk);
    else {
      this.early.push(chunk);
      this.earlyBytes += chunk.length;
    }
  }

  queuedBytes(): number {
    return this.earlyBytes + (this.caller?.queuedBytes() ?? 0);
  }

  close(reason: "ended" | "overflow"): void {
    this.decided ??= reason === "ended" ? { kind: "source-ended" } : { kind: "overflow" };
    if (!this.caller) return this.exitLater(this.decided);
    if (reason === "ended") this.caller.finish();
    else this.caller.close();
  }

  stop(): Promise<void> {
    this.decided ??= { kind: "stopped" };
    return (this.stopped ??= new Promise<void>((resolve) => {
      if (this.exited) return resolve();
      const timer = setTimeout(resolve, STOP_GRACE_MS);
      this.onExit(() => {
        clearTimeout(timer);
        resolve();
      });
      if (this.caller) this.caller.close();
      else this.exitLater(this.decided!);
    }));
  }

  stats(): RelayStats {
    return { ...this.current };
  }

  onExit(fn: (exit: RelayExit) => void): void {
    this.exitHandlers.push(fn);
  }

  private connect(dest: SrtDestination, address: string): void {
    if (this.exited) return;
    if (this.decided) return this.exitLater(this.decided);
    try {
      this.caller = this.open(dest, address);
    } catch (err) {
      // An addon built before the caller existed (or not at all): a relay error, not a crash.
      return this.exitLater({ kind: "failed", code: "SrtUnavailable", message: (err as Error).message });
    }
    for (const chunk of this.early) this.caller.send(chunk);
    this.early = [];
    this.earlyBytes = 0;
  }

  private open(dest: SrtDestination, address: string): SrtCaller {
    return SrtCaller.connect(
      {
        address,
        port: dest.port,
        streamId: dest.streamId,
        passphrase: dest.passphrase,
        pbkeylen: dest.pbkeylen,
        latencyMs: dest.latencyMs ?? DEFAULT_LATENCY_MS,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
        peerIdleTimeoutMs: PEER_IDLE_TIMEOUT_MS,
        maxQueueBytes: NATIVE_QUEUE_LIMIT_BYTES,
      },
      {
        onConnected: () => {},
        onStats: (s) => this.onStats(s),
        onClose: (c) => this.finish(this.exitFor(c)),
      },
    );
  }

  /** Acknowledged bytes: handed to libsrt, minus what is still unacknowledged or was dropped. */
  private onStats(s: SrtCallerStats): void {
    const now = Date.now();
    const acked = Math.max(this.acked, s.bytesSubmitted - s.bytesUnacked - s.bytesDropped);
    if (acked > this.acked) this.current.lastProgressAt = now;
    this.acked = acked;
    this.samples.push({ at: now, bytes: acked, frames: this.frames.frames });
    while (this.samples.length > 2 && now - this.samples[1].at >= RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0];
    const span = now - first.at;
    this.current.bytesOut = acked;
    this.current.mediaOut = acked > 0; // acknowledged by the destination, not just sent
    this.current.bitrateKbps = span > 0 ? Math.round((((acked - first.bytes) * 8) / span) * 10) / 10 : 0;
    this.current.fps = span > 0 ? Math.round(((this.frames.frames - first.frames) * 1000) / span * 10) / 10 : 0;
  }

  private exitFor(c: SrtCallerClose): RelayExit {
    // Once the relay was told to end, how the connection went no longer matters.
    if (this.decided) return this.decided;
    if (c.reason === "finished" || c.reason === "closed") return { kind: "stopped" };
    return { kind: "failed", ...describeFailure(c) };
  }

  /** Exits never fire inside start(): the supervisor subscribes the engine right after it. */
  private exitLater(exit: RelayExit): void {
    setImmediate(() => this.finish(exit));
  }

  private finish(exit: RelayExit): void {
    if (this.exited) return;
    this.exited = true;
    this.early = [];
    this.earlyBytes = 0;
    const handlers = this.exitHandlers;
    this.exitHandlers = [];
    for (const h of handlers) h(exit);
  }
}

/** IPv4 first: `localhost` and dual-stack names then reach listeners bound to 0.0.0.0 too. */
async function defaultLookup(host: string): Promise<string> {
  const addresses = await dns.lookup(host, { all: true });
  return (addresses.find((a) => a.family === 4) ?? addresses[0]).address;
}

/** libsrt's outcome as a relay error: code plus a message that never holds the URL. */
export function describeFailure(c: SrtCallerClose): { code: string; message: string } {
  if (c.reason === "rejected") {
    switch (c.rejectReason) {
      case SRT_REJ.BADSECRET:
        return { code: "SrtPassphraseRejected", message: "the destination rejected the passphrase (SRT_REJ_BADSECRET)" };
      case SRT_REJ.UNSECURE:
        return { code: "SrtPassphraseRejected", message: "encryption mismatch: the destination requires a passphrase, or expects none (SRT_REJ_UNSECURE)" };
      case SRT_REJ.TIMEOUT:
        return { code: "ConnectionRefused", message: `no SRT listener answered at the destination within ${CONNECT_TIMEOUT_MS / 1000} s` };
    }
    const by = c.rejectReason >= SRT_REJC_PREDEFINED ? `the listener's code ${c.rejectReason}` : c.message;
    return { code: "ConnectionRefused", message: `the destination refused the connection (${by})` };
  }
  if (c.reason === "broken") {
    return c.msSinceHeard >= PEER_IDLE_TIMEOUT_MS - 1_000
      ? { code: "Timeout", message: `the destination stopped answering (nothing heard for ${PEER_IDLE_TIMEOUT_MS / 1000} s)` }
      : { code: "ConnectionLost", message: "the destination closed the connection" };
  }
  return { code: "DestinationFailed", message: c.message };
}
