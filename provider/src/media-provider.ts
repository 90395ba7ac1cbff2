/**
 * The dynamic providers behind `TranscodeTemplate`, `SnapshotConfig` and `RecordingConfig`, loaded
 * by the shim in the state (`resource.ts`) in the dynamic-provider process.
 *
 * All three are "PUT resources": the service creates or replaces the object at a path the user
 * chooses (domain + templateId; domain + appName). That decides their semantics:
 *
 * - The resource id is that identity (`shows.example.com/sd`, `shows.example.com/live`).
 * - create is the PUT. It is idempotent (a retried or repeated create converges on the same
 *   object) and it takes over whatever is already at that identity: that is the adoption story
 *   of these resources — no 409, no `adopt` flag.
 * - update is the same PUT with the new values; an object deleted outside Pulumi is written again.
 * - Identity fields replace; a replacement is created before the old one is deleted (no gap in
 *   the rendition, snapshots or recording). delete therefore leaves alone an identity that another
 *   resource of the same deployment has written since — the new half of a replacement that kept
 *   the identity (`--replace`), or the new name of a renamed resource — instead of deleting the
 *   object that resource has just declared. Anything else (destroy, a resource removed from the
 *   program, drift made outside Pulumi) is deleted.
 * - check fills in the service's defaults (`video.gopSeconds`, `keep`, taken from the SDK's
 *   schemas) so that leaving them out never shows as a change, and records the service the
 *   resource lives on (`endpoint`): another endpoint is a replacement, and read, update and delete
 *   address the recorded one.
 * - read hands back inputs too, so that drift found by a refresh shows per property in the next
 *   preview and `ignoreChanges` keeps it.
 */
import type { CheckFailure, CheckResult, ConfigureRequest, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult } from "@pulumi/pulumi/dynamic";
import type { LiveRelayClient, RecordingFormat, TranscodeTemplate as ApiTranscodeTemplate } from "@liverelay/sdk";
import * as apiSchemas from "@liverelay/api";
import {
  client,
  configureConnection,
  configuredEndpoint,
  elsewhereHint,
  isNotFound,
  isPlainObject,
  isUnknown,
  lastWrite,
  messageOf,
  present,
  recordWrite,
  sameValue,
  schemaFailures,
} from "./shared";

// ---- plain inputs and outputs ------------------------------------------------------

/** The video of a rendition: H.264, scaled to `height` keeping the aspect ratio. */
export interface TranscodeVideo {
  codec: "h264";
  /** 144-2160, even. */
  height: number;
  /** 100-20 000 kbit/s. */
  bitrateKbps: number;
  /** 1-60; omitted: the source's frame rate. */
  fps?: number;
  /** Keyframe interval, 1-10 s; default 2. */
  gopSeconds?: number;
}

/** AAC re-encoding of a rendition's audio. */
export interface TranscodeAudio {
  codec: "aac";
  /** 32-320 kbit/s. */
  bitrateKbps: number;
}

/** Plain (resolved) inputs of a transcode template, as the provider receives them. */
export interface TranscodeTemplateInputs {
  /** Streaming domain (lowercase DNS name). Changing it replaces the template. */
  domain: string;
  /** 1-32 letters, digits or '-'; the rendition of stream `s` is `s_<templateId>`. Changing it replaces the template. */
  templateId: string;
  /** The app whose streams get the rendition (case-sensitive). Updated in place. */
  appName: string;
  /** Updated in place. */
  video: TranscodeVideo;
  /** `null` (or omitted): the source's audio is copied unchanged. Updated in place. */
  audio: TranscodeAudio | null;
}

/** What the provider stores as a transcode template's outputs. */
export interface TranscodeTemplateOutputs extends TranscodeTemplateInputs {
  video: TranscodeVideo & { gopSeconds: number };
  createdAt: string;
  updatedAt: string;
}

/** Plain (resolved) inputs of an app's snapshot config. */
export interface SnapshotConfigInputs {
  /** Streaming domain. Changing it replaces the config. */
  domain: string;
  /** The app whose live streams are snapshotted. Changing it replaces the config. */
  appName: string;
  /** One JPEG every 1-3600 s. Updated in place. */
  intervalSeconds: number;
  /** JPEGs kept per stream, 1-1000; default 1. Updated in place. */
  keep?: number;
}

export interface SnapshotConfigOutputs extends SnapshotConfigInputs {
  keep: number;
  updatedAt: string;
}

/** Plain (resolved) inputs of an app's recording config. */
export interface RecordingConfigInputs {
  /** Streaming domain. Changing it replaces the config. */
  domain: string;
  /** The app whose live streams are recorded. Changing it replaces the config. */
  appName: string;
  /** `mp4` (fragmented), `flv` (one file per segment) or `hls` (one playlist per publish). Updated in place. */
  format: RecordingFormat;
  /** 10-21 600 s. Updated in place. */
  segmentSeconds: number;
}

export interface RecordingConfigOutputs extends RecordingConfigInputs {
  updatedAt: string;
}

// ---- one PUT resource --------------------------------------------------------------

/** What differs between the three resources; everything else is `putProvider`. */
interface Kind<I, O extends I & { updatedAt: string }> {
  /** The resource's type name. */
  name: string;
  /** For diagnostics: `transcode template sd in shows.example.com`. */
  label(p: Partial<I>): string;
  /** Replace on change, in this order in the resource id (`domain/…`). */
  identity: readonly [keyof I & string, keyof I & string];
  /** Update in place on change. */
  mutable: readonly (keyof I & string)[];
  /** Fills in the service's defaults, in place (values may be unknown during preview). */
  normalise(input: Record<string, unknown>): void;
  validate(input: Record<string, unknown>): CheckFailure[];
  put(c: LiveRelayClient, p: I): Promise<O>;
  get(c: LiveRelayClient, p: I): Promise<O>;
  remove(c: LiveRelayClient, p: I): Promise<void>;
}

function schemas(): typeof apiSchemas {
  return apiSchemas;
}

/** The value a schema with a `.default()` gives an absent field. */
function defaultOf(schema: { safeParse(v: unknown): { success: boolean; data?: unknown } }): unknown {
  const r = schema.safeParse(undefined);
  return r.success ? r.data : undefined;
}

/** What every PUT resource keeps beside its own fields: the service it lives on, the replaceOnChanges option. */
interface Hidden {
  endpoint?: string;
  __replaceOnChanges?: string[];
}

function putProvider<I extends object, O extends I & { updatedAt: string }>(kind: Kind<I, O>): ResourceProvider<I & Hidden, O & Hidden> {
  const [first, second] = kind.identity;
  const idOf = (p: I) => `${String(p[first])}/${String(p[second])}`;
  /** The identity: from the state's properties, or else from the resource id. */
  const identityOf = (id: string, props: Partial<I> | undefined): I => {
    const slash = id.indexOf("/");
    const fromId = slash > 0 ? { [first]: id.slice(0, slash), [second]: id.slice(slash + 1) } : {};
    return { ...fromId, ...(props ?? {}) } as I;
  };
  const failure = (action: string, p: Partial<I>, err: unknown, hint?: string) =>
    new Error(`LiveRelay: ${action} ${kind.label(p)} failed: ${messageOf(err)}${hint ? `. ${hint}` : ""}`);
  const written = (p: I, endpoint: unknown) => `${kind.name}:${String(endpoint ?? configuredEndpoint() ?? "")}:${idOf(p)}`;
  /** The service's object plus the hidden inputs of `p`, the endpoint it lives on filled in. */
  const withHidden = (outs: O, p: Hidden): O & Hidden => {
    const all: O & Hidden = { ...outs };
    const endpoint = p.endpoint ?? configuredEndpoint();
    if (endpoint) all.endpoint = endpoint;
    if (Array.isArray(p.__replaceOnChanges)) all.__replaceOnChanges = p.__replaceOnChanges;
    return all;
  };
  /** The inputs that describe what `outs` holds (computed fields left out). */
  const inputsOf = (outs: O & Hidden): I & Hidden => {
    const { updatedAt: _u, createdAt: _c, ...inputs } = outs as O & Hidden & { createdAt?: string };
    return inputs as unknown as I & Hidden;
  };

  return {
    async configure(req: ConfigureRequest): Promise<void> {
      configureConnection(req);
    },

    async check(olds: I & Hidden, news: I & Hidden): Promise<CheckResult<I & Hidden>> {
      const inputs: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(news ?? {})) if (present(v)) inputs[k] = v;
      kind.normalise(inputs);
      const endpoint = configuredEndpoint() ?? olds?.endpoint;
      if (endpoint) inputs.endpoint = endpoint;
      return { inputs: inputs as I & Hidden, failures: kind.validate(inputs) };
    },

    async diff(_id: string, olds: O & Hidden, news: I & Hidden): Promise<DiffResult> {
      const o = olds as Record<string, unknown>;
      const n = news as Record<string, unknown>;
      const differs = (f: string) => !sameValue(o[f], n[f]);
      const replaces: string[] = kind.identity.filter(differs);
      if (present(o.endpoint) && present(n.endpoint) && !isUnknown(n.endpoint) && differs("endpoint")) replaces.push("endpoint");
      const updates = kind.mutable.filter(differs);
      const replaceOn = Array.isArray(n.__replaceOnChanges) ? (n.__replaceOnChanges as unknown[]).map(String) : [];
      for (const f of updates) if (replaceOn.includes(f) || replaceOn.includes("*")) replaces.push(f);
      // A state written by a provider older than the shim (resource.ts): one update moves it to the shim.
      const oldProvider = typeof o.__provider === "string" && typeof n.__provider === "string" && o.__provider !== n.__provider;
      // Created before the old one is deleted, also when the identity stays (see the file comment).
      return { changes: replaces.length > 0 || updates.length > 0 || oldProvider, replaces, deleteBeforeReplace: false };
    },

    async create(news: I & Hidden): Promise<CreateResult<O & Hidden>> {
      const c = client(news.endpoint);
      let outs: O;
      try {
        outs = await kind.put(c, news);
      } catch (err) {
        throw failure("creating", news, err);
      }
      recordWrite(written(news, news.endpoint), outs.updatedAt);
      return { id: idOf(news), outs: withHidden(outs, news) };
    },

    async read(id: string, props?: O & Hidden): Promise<ReadResult<O & Hidden>> {
      const p = identityOf(id, props);
      const c = client(props?.endpoint);
      try {
        const outs = withHidden(await kind.get(c, p), props ?? {});
        return { id: idOf(outs), props: outs, inputs: inputsOf(outs) as unknown as O & Hidden };
      } catch (err) {
        // Deleted out of band: a blank id makes the engine drop the resource from the state.
        if (isNotFound(err)) return { id: "" };
        throw failure("reading", p, err, elsewhereHint(props?.endpoint));
      }
    },

    async update(_id: string, olds: O & Hidden, news: I & Hidden): Promise<UpdateResult<O & Hidden>> {
      const c = client(olds.endpoint);
      let outs: O;
      try {
        outs = await kind.put(c, news);
      } catch (err) {
        throw failure("updating", news, err, elsewhereHint(olds.endpoint));
      }
      recordWrite(written(news, olds.endpoint), outs.updatedAt);
      return { outs: withHidden(outs, { ...news, endpoint: olds.endpoint ?? news.endpoint }) };
    },

    async delete(id: string, props: O & Hidden): Promise<void> {
      const p = identityOf(id, props);
      const c = client(props.endpoint);
      try {
        // Another resource of this deployment wrote this identity after this one did: it is theirs now.
        const ours = lastWrite(written(p, props.endpoint));
        if (ours !== undefined && ours !== props.updatedAt && (await kind.get(c, p)).updatedAt === ours) return;
        await kind.remove(c, p);
      } catch (err) {
        if (isNotFound(err)) return; // already gone (deleted out of band, or a retried DELETE that had worked)
        throw failure("deleting", p, err, elsewhereHint(props.endpoint));
      }
    },
  };
}

// ---- the three kinds ---------------------------------------------------------------

function transcodeOutputs(t: ApiTranscodeTemplate): TranscodeTemplateOutputs {
  const video: TranscodeTemplateOutputs["video"] = { codec: t.video.codec, height: t.video.height, bitrateKbps: t.video.bitrateKbps, gopSeconds: t.video.gopSeconds };
  if (t.video.fps !== null) video.fps = t.video.fps;
  return {
    domain: t.domain,
    templateId: t.id,
    appName: t.appName,
    video,
    audio: t.audio ? { codec: t.audio.codec, bitrateKbps: t.audio.bitrateKbps } : null,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

const TRANSCODE_TEMPLATE: Kind<TranscodeTemplateInputs, TranscodeTemplateOutputs> = {
  name: "TranscodeTemplate",
  label: (p) => `transcode template ${p.templateId ?? "?"} in ${p.domain ?? "?"}`,
  identity: ["domain", "templateId"],
  mutable: ["appName", "video", "audio"],
  normalise(input) {
    // `audio: null` may arrive as an absent property: both mean "copy the source's audio".
    if (!present(input.audio)) input.audio = null;
    if (isPlainObject(input.video)) {
      const video: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(input.video)) if (present(v)) video[k] = v;
      if (!("gopSeconds" in video)) video.gopSeconds = defaultOf(schemas().TranscodeVideo.shape.gopSeconds);
      input.video = video;
    }
  },
  validate(input) {
    const s = schemas();
    return [
      ...schemaFailures(s.TranscodeTemplateParams, input, ["domain", "templateId"]),
      ...schemaFailures(s.TranscodeTemplateSet, input, ["appName", "video", "audio"]),
    ];
  },
  put: async (c, p) => transcodeOutputs(await c.transcodeTemplates.put(p.domain, p.templateId, { appName: p.appName, video: p.video, audio: p.audio ?? null })),
  get: async (c, p) => transcodeOutputs(await c.transcodeTemplates.get(p.domain, p.templateId)),
  remove: (c, p) => c.transcodeTemplates.delete(p.domain, p.templateId),
};

const SNAPSHOT_CONFIG: Kind<SnapshotConfigInputs, SnapshotConfigOutputs> = {
  name: "SnapshotConfig",
  label: (p) => `snapshot config of app ${p.appName ?? "?"} in ${p.domain ?? "?"}`,
  identity: ["domain", "appName"],
  mutable: ["intervalSeconds", "keep"],
  normalise(input) {
    if (!present(input.keep)) input.keep = defaultOf(schemas().SnapshotConfigSet.shape.keep);
  },
  validate(input) {
    const s = schemas();
    return [...schemaFailures(s.AppParams, input, ["domain", "appName"]), ...schemaFailures(s.SnapshotConfigSet, input, ["intervalSeconds", "keep"])];
  },
  async put(c, p) {
    const r = await c.snapshotConfig.set(p.domain, p.appName, { intervalSeconds: p.intervalSeconds, ...(present(p.keep) ? { keep: p.keep } : {}) });
    return { domain: r.domain, appName: r.appName, intervalSeconds: r.intervalSeconds, keep: r.keep, updatedAt: r.updatedAt };
  },
  async get(c, p) {
    const r = await c.snapshotConfig.get(p.domain, p.appName);
    return { domain: r.domain, appName: r.appName, intervalSeconds: r.intervalSeconds, keep: r.keep, updatedAt: r.updatedAt };
  },
  remove: (c, p) => c.snapshotConfig.delete(p.domain, p.appName),
};

const RECORDING_CONFIG: Kind<RecordingConfigInputs, RecordingConfigOutputs> = {
  name: "RecordingConfig",
  label: (p) => `recording config of app ${p.appName ?? "?"} in ${p.domain ?? "?"}`,
  identity: ["domain", "appName"],
  mutable: ["format", "segmentSeconds"],
  normalise() {},
  validate(input) {
    const s = schemas();
    return [...schemaFailures(s.AppParams, input, ["domain", "appName"]), ...schemaFailures(s.RecordingConfigSet, input, ["format", "segmentSeconds"])];
  },
  async put(c, p) {
    const r = await c.recordingConfig.set(p.domain, p.appName, { format: p.format, segmentSeconds: p.segmentSeconds });
    return { domain: r.domain, appName: r.appName, format: r.format, segmentSeconds: r.segmentSeconds, updatedAt: r.updatedAt };
  },
  async get(c, p) {
    const r = await c.recordingConfig.get(p.domain, p.appName);
    return { domain: r.domain, appName: r.appName, format: r.format, segmentSeconds: r.segmentSeconds, updatedAt: r.updatedAt };
  },
  remove: (c, p) => c.recordingConfig.delete(p.domain, p.appName),
};

/** The provider objects. Kept free of captured state: see provider.ts. */
export const transcodeTemplateProvider: ResourceProvider<TranscodeTemplateInputs, TranscodeTemplateOutputs> = putProvider(TRANSCODE_TEMPLATE);
export const snapshotConfigProvider: ResourceProvider<SnapshotConfigInputs, SnapshotConfigOutputs> = putProvider(SNAPSHOT_CONFIG);
export const recordingConfigProvider: ResourceProvider<RecordingConfigInputs, RecordingConfigOutputs> = putProvider(RECORDING_CONFIG);
