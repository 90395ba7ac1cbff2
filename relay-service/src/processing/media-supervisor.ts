import path from "node:path";
import type { Logger } from "pino";
import type { ProcessingState, ProcessingWorker, RecordingConfig, SnapshotConfig, TranscodeTemplate } from "@liverelay/api";
import type { LiveStream, StreamKey } from "../hub/live-stream";
import type { StreamHub } from "../hub/stream-hub";
import { Backoff } from "../supervisor/backoff";
import type { FfmpegExit } from "../supervisor/ffmpeg-subscriber";
import { streamFolder, type MediaPaths } from "./media-paths";
import { DEFAULT_STALL_TIMEOUT_MS, type MediaWorker, type MediaWorkerKind, type MediaWorkerStats } from "./media-worker";
import type { MediaStore } from "../store/media";
import { Recorder } from "./recorder";
import { Snapshotter } from "./snapshotter";
import { renditionKey, Transcoder } from "./transcoder";
import type { EventSink } from "../events/event-bus";

const TICK_MS = 500;
/** At shutdown, workers get this long to finish on their own (EOF) before they are stopped. */
const SHUTDOWN_DRAIN_MS = 2_000;

export interface MediaConfigs {
  transcode: TranscodeTemplate[];
  snapshot: SnapshotConfig[];
  recording: RecordingConfig[];
}

/** Why a wanted worker cannot run now; it waits in `error` until its stream or config changes. */
interface Blocked {
  code: "NoVideo" | "RenditionNameTaken";
  message: string;
}

/** What should run: one kind of work on one live stream, with the settings it runs with. */
interface JobSpec {
  /** `{kind}:{app}/{stream}`, plus `:{templateId}` for a transcoder: unique in a domain. */
  id: string;
  kind: MediaWorkerKind;
  stream: LiveStream;
  /** The settings; a change restarts the worker. */
  fingerprint: string;
  create(): MediaWorker;
  templateId?: string;
  blocked?: Blocked;
}

interface Job {
  spec: JobSpec;
  worker?: MediaWorker;
  startedAt?: number;
  retryAt?: number;
  backoff: Backoff;
  restarts: number;
  state: ProcessingState;
  since: Date;
  lastError?: ProcessingWorker["lastError"];
  /** The last run's figures, shown while the next one is not up yet. */
  lastStats?: MediaWorkerStats;
  /** Set when the supervisor killed the worker for a stall: that stop is a failure, not a decision. */
  stalled?: boolean;
  /** The first state is reported too (as a change from null), not only changes. */
  announced?: boolean;
}

export interface MediaCounters {
  onRestart(kind: MediaWorkerKind): void;
}

/** `{kind}:{app}/{stream}`, plus `:{templateId}` for a transcoder: what the API shows as `id`. */
const workerId = (kind: MediaWorkerKind, key: StreamKey, templateId?: string) => `${kind}:${key.appName}/${key.streamName}${templateId ? `:${templateId}` : ""}`;

const emptyStats = (kind: MediaWorkerKind): MediaWorkerStats =>
  kind === "transcoder" ? { fps: 0, bitrateKbps: 0 } : kind === "snapshotter" ? { lastSnapshotAt: null } : { fileId: null, bytesWritten: 0, lastWriteAt: null };

/**
 * Makes the running processing workers match the configs, like the relay supervisor does
 * for relays: for every live ingested stream, one transcoder per transcode template of its
 * app, a snapshotter and a recorder when its app has those configs. Each worker is its own
 * hub reader with a bounded queue, so none can slow the publisher or the relays. A worker
 * that fails, or shows no output for its stall timeout while its source flows, is restarted
 * with backoff; one whose stream ended finishes on its own. Every job reports its state,
 * last error, restarts and stats (`list`). Renditions are outputs, never inputs: they are not transcoded, recorded or snapshotted.
 */
export class MediaSupervisor {
  private readonly jobs = new Map<string, Job>();
  private readonly running = new Map<MediaWorker, Promise<void>>();
  private configs: MediaConfigs = { transcode: [], snapshot: [], recording: [] };
  private timer?: NodeJS.Timeout;
  private scheduled = false;
  private stopping = false;
  private pendingReload?: Promise<void>;
  private finishedRecorderBytes = 0;

  constructor(
    private readonly deps: {
      hub: StreamHub;
      store: MediaStore;
      /** This node: written on each recording it makes. */
      nodeId: string;
      paths: MediaPaths;
      loadConfigs: () => Promise<MediaConfigs>;
      logger: Logger;
      events?: EventSink;
      counters?: MediaCounters;
      /** Base stall timeout (tests only; the default is the documented 10 s). */
      stallTimeoutMs?: number;
    },
  ) {}

  async start(): Promise<void> {
    await this.reload();
    // Deferred: a rendition's stream-start fires inside hub.publish, before its transcoder knows it is its output.
    this.deps.hub.on("stream-start", () => this.soon());
    this.deps.hub.on("stream-end", () => this.soon());
    this.timer = setInterval(() => this.reconcile(), TICK_MS);
  }

  /** A config was written: reload on the next turn of the event loop, once per burst. */
  configsChanged(): void {
    this.pendingReload ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        this.pendingReload = undefined;
        this.reload().then(resolve, (err: unknown) => {
          this.deps.logger.error({ err }, "reloading media configs failed");
          resolve();
        });
      }),
    );
  }

  /** The workers of a domain's live streams, or of one stream. */
  list(domain: string, stream?: { appName: string; streamName: string }): ProcessingWorker[] {
    const out: ProcessingWorker[] = [];
    for (const job of this.jobs.values()) {
      const k = job.spec.stream.key;
      if (k.domain !== domain || (stream && (k.appName !== stream.appName || k.streamName !== stream.streamName))) continue;
      out.push(this.describe(job));
    }
    return out;
  }

  /** Workers by kind and state, every combination present (zeros included) so gauges drop to 0. */
  countByKindAndState(): { kind: MediaWorkerKind; state: ProcessingState; count: number }[] {
    const counts = new Map<string, number>();
    for (const job of this.jobs.values()) counts.set(`${job.spec.kind}/${job.state}`, (counts.get(`${job.spec.kind}/${job.state}`) ?? 0) + 1);
    const kinds: MediaWorkerKind[] = ["transcoder", "snapshotter", "recorder"];
    const states: ProcessingState[] = ["starting", "running", "retrying", "error"];
    return kinds.flatMap((kind) => states.map((state) => ({ kind, state, count: counts.get(`${kind}/${state}`) ?? 0 })));
  }

  /** Bytes every recorder has written since the service started (finished runs plus running ones). */
  recorderBytesTotal(): number {
    let live = 0;
    for (const worker of this.running.keys()) if (worker.kind === "recorder") live += recorderBytes(worker.stats());
    return this.finishedRecorderBytes + live;
  }

  /** Sources have ended (hub.closeAll): workers drain and finalise their files; stragglers are stopped. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    const all = () => Promise.all(this.running.values());
    const drained = await Promise.race([all().then(() => true), sleep(SHUTDOWN_DRAIN_MS).then(() => false)]);
    if (!drained) await Promise.all([...this.running.keys()].map((w) => w.stop()));
    await all();
  }

  private async reload() {
    this.configs = await this.deps.loadConfigs();
    this.reconcile();
  }

  private soon(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.reconcile();
    });
  }

  private reconcile(): void {
    if (this.stopping) return;
    const wanted = this.desiredJobs();
    for (const [id, job] of this.jobs) {
      const next = wanted.get(id);
      if (!next || next.stream !== job.spec.stream || next.fingerprint !== job.spec.fingerprint) this.retire(job);
    }
    const now = Date.now();
    for (const spec of wanted.values()) {
      const job = this.jobs.get(spec.id) ?? this.track(spec);
      job.spec = spec;
      if (spec.blocked) this.block(job, spec.blocked);
      else if (job.worker) this.watch(job, now);
      else if (job.retryAt === undefined || now >= job.retryAt) this.startWorker(job);
    }
  }

  /**
   * starting → running on the first output; no output for the stall timeout while the source
   * flows gets the worker killed and restarted. A source that sends nothing is not the worker's fault.
   */
  private watch(job: Job, now: number): void {
    const worker = job.worker!;
    const lastOutput = worker.lastOutputAt();
    if (job.state === "starting" && lastOutput > 0) this.setState(job, "running");
    const timeout = worker.stallTimeoutMs(this.deps.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS);
    if (job.stalled || now - Math.max(lastOutput, job.startedAt!) <= timeout || job.spec.stream.bitrateKbps() === 0) return;
    job.stalled = true;
    this.setError(job, "Stalled", `no output for ${Math.round(timeout / 1000)} s while the stream is live; restarting`);
    this.setState(job, "retrying");
    this.log(job).warn({ timeoutMs: timeout }, `${job.spec.kind} stalled; restarting`);
    void worker.stop();
  }

  /** Cannot run now: stop any worker, report why, retry from scratch once the cause is gone. */
  private block(job: Job, why: Blocked): void {
    if (job.worker) void job.worker.stop();
    job.retryAt = undefined;
    job.backoff.reset();
    this.setError(job, why.code, why.message);
    this.setState(job, "error");
  }

  private desiredJobs(): Map<string, JobSpec> {
    const wanted = new Map<string, JobSpec>();
    const renditions = this.renditions();
    for (const stream of this.deps.hub.list()) {
      if (renditions.has(stream)) continue;
      for (const spec of this.jobsFor(stream)) wanted.set(spec.id, spec);
    }
    return wanted;
  }

  private jobsFor(stream: LiveStream): JobSpec[] {
    const { domain, appName } = stream.key;
    const ofApp = <T extends { domain: string; appName: string }>(c: T) => c.domain === domain && c.appName === appName;
    const id = (kind: MediaWorkerKind) => workerId(kind, stream.key);
    const media = stream.describe();
    // Known to be audio-only: transcoders and snapshotters would fail on every restart.
    const noVideo: Blocked | undefined =
      media.videoCodec === null && media.audioCodec !== null ? { code: "NoVideo", message: "the stream has no video track" } : undefined;
    const specs: JobSpec[] = this.configs.transcode.filter(ofApp).map((t) => ({
      id: workerId("transcoder", stream.key, t.id),
      kind: "transcoder",
      stream,
      fingerprint: JSON.stringify([t.video, t.audio]),
      create: () => new Transcoder(stream, t, this.deps.hub),
      templateId: t.id,
      blocked: noVideo ?? this.renditionNameTaken(stream, t.id),
    }));
    const snapshot = this.configs.snapshot.find(ofApp);
    if (snapshot) {
      const dir = path.join(this.deps.paths.snapshots, streamFolder(stream.key));
      const fingerprint = `${snapshot.intervalSeconds}/${snapshot.keep}`;
      specs.push({ id: id("snapshotter"), kind: "snapshotter", stream, fingerprint, create: () => new Snapshotter(stream, snapshot, dir, this.deps.events), blocked: noVideo });
    }
    const recording = this.configs.recording.find(ofApp);
    if (recording) {
      const deps = { store: this.deps.store, nodeId: this.deps.nodeId, root: this.deps.paths.recordings, logger: this.deps.logger, events: this.deps.events };
      specs.push({ id: id("recorder"), kind: "recorder", stream, fingerprint: `${recording.format}/${recording.segmentSeconds}`, create: () => new Recorder(stream, recording, deps) });
    }
    return specs;
  }

  /** The rendition's name is live but not published by this job's transcoder: someone published it directly. */
  private renditionNameTaken(stream: LiveStream, templateId: string): Blocked | undefined {
    const key = renditionKey(stream.key, templateId);
    const live = this.deps.hub.get(key);
    const job = this.jobs.get(workerId("transcoder", stream.key, templateId));
    const ours = job?.worker instanceof Transcoder && job.worker.output === live;
    if (!live || ours) return undefined;
    return { code: "RenditionNameTaken", message: `stream ${key.streamName} is already live (published directly); the rendition waits for it to end` };
  }

  /** The hub streams that transcoders publish. */
  private renditions(): Set<LiveStream> {
    const out = new Set<LiveStream>();
    for (const worker of this.running.keys()) {
      const rendition = worker instanceof Transcoder ? worker.output : undefined;
      if (rendition) out.add(rendition);
    }
    return out;
  }

  private track(spec: JobSpec): Job {
    const job: Job = { spec, backoff: new Backoff(), restarts: 0, state: "starting", since: new Date() };
    this.jobs.set(spec.id, job);
    return job;
  }

  /** Not wanted any more: a worker whose stream ended finishes on its own (EOF); any other is stopped. */
  private retire(job: Job): void {
    this.jobs.delete(job.spec.id);
    if (job.worker && job.spec.stream.isLive) void job.worker.stop();
  }

  private startWorker(job: Job): void {
    const worker = job.spec.create();
    job.worker = worker;
    job.startedAt = Date.now();
    job.retryAt = undefined;
    job.stalled = false;
    this.setState(job, "starting");
    this.running.set(worker, new Promise((resolve) => worker.onExit((exit) => resolve(this.onWorkerExit(job, worker, exit)))));
    worker.start();
    this.log(job).info({ restarts: job.restarts }, `${job.spec.kind} started`);
  }

  private onWorkerExit(job: Job, worker: MediaWorker, exit: FfmpegExit): void {
    this.running.delete(worker);
    const stats = worker.stats();
    if (worker.kind === "recorder") this.finishedRecorderBytes += recorderBytes(stats);
    if (job.worker !== worker) return;
    job.worker = undefined;
    job.lastStats = stats;
    job.backoff.ranFor(Date.now() - (job.startedAt ?? Date.now()));
    const failed = exit.kind === "failed" || exit.kind === "overflow" || job.stalled;
    if (!failed || this.jobs.get(job.spec.id) !== job || job.spec.blocked) return this.soon();
    if (exit.kind === "failed" && !job.stalled) this.setError(job, "WorkerFailed", exit.message);
    if (exit.kind === "overflow" && !job.stalled) this.setError(job, "FellBehind", "fell behind its source; dropped by the hub");
    const delay = job.backoff.next();
    job.retryAt = Date.now() + delay;
    job.restarts++;
    this.deps.counters?.onRestart(job.spec.kind);
    this.setState(job, "retrying");
    this.log(job).warn({ retryInMs: delay, reason: job.lastError?.message }, `${job.spec.kind} failed; restarting`);
  }

  private setState(job: Job, state: ProcessingState): void {
    if (job.state === state && job.announced) return;
    const from = job.announced ? job.state : null;
    job.announced = true;
    job.state = state;
    job.since = new Date();
    const { spec, lastError } = job;
    const { domain, appName, streamName } = spec.stream.key;
    this.deps.events?.emit(domain, "processing.state_changed", {
      workerId: spec.id,
      kind: spec.kind,
      templateId: spec.templateId ?? null,
      appName,
      streamName,
      from,
      to: state,
      lastError: lastError ?? null,
    });
  }

  private setError(job: Job, code: string, message: string): void {
    if (job.lastError?.code === code && job.lastError.message === message) return;
    job.lastError = { code, message, at: new Date().toISOString() };
  }

  private describe(job: Job): ProcessingWorker {
    const { spec } = job;
    const common = {
      appName: spec.stream.key.appName,
      streamName: spec.stream.key.streamName,
      id: spec.id,
      state: job.state,
      ...(job.lastError ? { lastError: job.lastError } : {}),
      restarts: job.restarts,
      since: job.since.toISOString(),
    };
    const stats = job.worker?.stats() ?? job.lastStats ?? emptyStats(spec.kind);
    // The kind decides the stats' shape (each worker class reports its own).
    return { ...common, kind: spec.kind, ...(spec.templateId ? { templateId: spec.templateId } : {}), stats } as ProcessingWorker;
  }

  private log(job: Job) {
    const k = job.spec.stream.key;
    const template = job.spec.templateId ? { templateId: job.spec.templateId } : {};
    return this.deps.logger.child({ worker: job.spec.kind, domain: k.domain, appName: k.appName, streamName: k.streamName, ...template });
  }
}

const recorderBytes = (stats: MediaWorkerStats) => ("bytesWritten" in stats ? stats.bytesWritten : 0);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
