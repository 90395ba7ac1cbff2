import path from "node:path";
import type { Logger } from "pino";
import type { RecordingConfig, SnapshotConfig, TranscodeTemplate } from "@liverelay/api";
import { streamKeyString, type LiveStream } from "../hub/live-stream";
import type { StreamHub } from "../hub/stream-hub";
import { Backoff } from "../supervisor/backoff";
import type { FfmpegExit } from "../supervisor/ffmpeg-subscriber";
import { streamFolder, type MediaPaths } from "./media-paths";
import type { MediaWorker, MediaWorkerKind } from "./media-worker";
import type { MediaStore } from "../store/media";
import { Recorder } from "./recorder";
import { Snapshotter } from "./snapshotter";
import { Transcoder } from "./transcoder";
import type { EventSink } from "../events/event-bus";

const TICK_MS = 500;
/** At shutdown, workers get this long to finish on their own (EOF) before they are stopped. */
const SHUTDOWN_DRAIN_MS = 2_000;

export interface MediaConfigs {
  transcode: TranscodeTemplate[];
  snapshot: SnapshotConfig[];
  recording: RecordingConfig[];
}

/** What should run: one kind of work on one live stream, with the settings it runs with. */
interface JobSpec {
  id: string;
  kind: MediaWorkerKind;
  stream: LiveStream;
  /** The settings; a change restarts the worker. */
  fingerprint: string;
  create(): MediaWorker;
  /** Extra log fields (the transcode template). */
  detail?: Record<string, string>;
}

interface Job {
  spec: JobSpec;
  worker?: MediaWorker;
  startedAt?: number;
  retryAt?: number;
  backoff: Backoff;
  restarts: number;
}

/**
 * Makes the running processing workers match the configs, like the relay supervisor does
 * for relays: for every live ingested stream, one transcoder per transcode template of its
 * app, a snapshotter and a recorder when its app has those configs. Each worker is its own
 * hub reader with a bounded queue, so none can slow the publisher or the relays. A worker
 * that fails is restarted with backoff; one whose stream ended finishes on its own.
 * Renditions are outputs, never inputs: they are not transcoded, recorded or snapshotted.
 */
export class MediaSupervisor {
  private readonly jobs = new Map<string, Job>();
  private readonly running = new Map<MediaWorker, Promise<void>>();
  private configs: MediaConfigs = { transcode: [], snapshot: [], recording: [] };
  private timer?: NodeJS.Timeout;
  private scheduled = false;
  private stopping = false;
  private pendingReload?: Promise<void>;

  constructor(
    private readonly deps: {
      hub: StreamHub;
      store: MediaStore;
      paths: MediaPaths;
      loadConfigs: () => Promise<MediaConfigs>;
      logger: Logger;
      events?: EventSink;
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

  countRunning(): Record<MediaWorkerKind, number> {
    const counts: Record<MediaWorkerKind, number> = { transcoder: 0, snapshotter: 0, recorder: 0 };
    for (const worker of this.running.keys()) counts[worker.kind]++;
    return counts;
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
    for (const spec of wanted.values()) {
      const job = this.jobs.get(spec.id) ?? this.track(spec);
      if (!job.worker && (job.retryAt === undefined || Date.now() >= job.retryAt)) this.startWorker(job);
    }
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
    const id = (kind: string) => `${kind}:${streamKeyString(stream.key)}`;
    const media = stream.describe();
    // Known to be audio-only: transcoders and snapshotters would fail on every restart.
    const hasVideo = media.videoCodec !== null || media.audioCodec === null;
    const specs: JobSpec[] = (hasVideo ? this.configs.transcode.filter(ofApp) : []).map((t) => ({
      id: `${id("transcoder")}:${t.id}`,
      kind: "transcoder",
      stream,
      fingerprint: JSON.stringify([t.video, t.audio]),
      create: () => new Transcoder(stream, t, this.deps.hub),
      detail: { templateId: t.id },
    }));
    const snapshot = this.configs.snapshot.find(ofApp);
    if (snapshot && hasVideo) {
      const dir = path.join(this.deps.paths.snapshots, streamFolder(stream.key));
      specs.push({ id: id("snapshotter"), kind: "snapshotter", stream, fingerprint: `${snapshot.intervalSeconds}/${snapshot.keep}`, create: () => new Snapshotter(stream, snapshot, dir, this.deps.events) });
    }
    const recording = this.configs.recording.find(ofApp);
    if (recording) {
      const deps = { store: this.deps.store, root: this.deps.paths.recordings, logger: this.deps.logger, events: this.deps.events };
      specs.push({ id: id("recorder"), kind: "recorder", stream, fingerprint: `${recording.format}/${recording.segmentSeconds}`, create: () => new Recorder(stream, recording, deps) });
    }
    return specs;
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
    const job: Job = { spec, backoff: new Backoff(), restarts: 0 };
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
    this.running.set(worker, new Promise((resolve) => worker.onExit((exit) => resolve(this.onWorkerExit(job, worker, exit)))));
    worker.start();
    this.log(job).info({ restarts: job.restarts }, `${job.spec.kind} started`);
  }

  private onWorkerExit(job: Job, worker: MediaWorker, exit: FfmpegExit): void {
    this.running.delete(worker);
    if (job.worker !== worker) return;
    job.worker = undefined;
    job.backoff.ranFor(Date.now() - (job.startedAt ?? Date.now()));
    if (exit.kind === "source-ended" || exit.kind === "stopped" || this.jobs.get(job.spec.id) !== job) return this.soon();
    const delay = job.backoff.next();
    job.retryAt = Date.now() + delay;
    job.restarts++;
    const reason = exit.kind === "failed" ? exit.message : "fell behind its source; dropped by the hub";
    this.log(job).warn({ retryInMs: delay, reason }, `${job.spec.kind} failed; restarting`);
  }

  private log(job: Job) {
    const k = job.spec.stream.key;
    return this.deps.logger.child({ worker: job.spec.kind, domain: k.domain, appName: k.appName, streamName: k.streamName, ...job.spec.detail });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
