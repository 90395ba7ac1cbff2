/**
 * The dynamic providers behind `TranscodeTemplate`, `SnapshotConfig` and `RecordingConfig`.
 *
 * The serialization rules of `provider.ts` apply here unchanged (read its file comment): only
 * `import type` at the top, the SDK `require`d inside functions, no exported `const` referenced
 * from a function, nothing mutable captured; `./shared` is bound to local names.
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
 *   schemas) so that leaving them out never shows as a change.
 */
import type { CheckFailure, CheckResult, ConfigureRequest, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult } from "@pulumi/pulumi/dynamic";
import type { LiveRelayClient, RecordingFormat, TranscodeTemplate as ApiTranscodeTemplate } from "@liverelay/sdk";
import * as shared from "./shared";

// Bound to local names so that they are serialized by value, never as the module (see shared.ts).
const { client, configureConnection, isNotFound, isPlainObject, lastWrite, messageOf, present, recordWrite, sameValue, schemaFailures } = shared;

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

function schemas(): typeof import("@liverelay/api") {
  return require("@liverelay/api") as typeof import("@liverelay/api");
}

/** The value a schema with a `.default()` gives an absent field. */
function defaultOf(schema: { safeParse(v: unknown): { success: boolean; data?: unknown } }): unknown {
  const r = schema.safeParse(undefined);
  return r.success ? r.data : undefined;
}

function putProvider<I extends object, O extends I & { updatedAt: string }>(kind: Kind<I, O>): ResourceProvider<I, O> {
  const [first, second] = kind.identity;
  const idOf = (p: I) => `${String(p[first])}/${String(p[second])}`;
  /** The identity: from the state's properties, or else from the resource id. */
  const identityOf = (id: string, props: Partial<I> | undefined): I => {
    const slash = id.indexOf("/");
    const fromId = slash > 0 ? { [first]: id.slice(0, slash), [second]: id.slice(slash + 1) } : {};
    return { ...fromId, ...(props ?? {}) } as I;
  };
  const failure = (action: string, p: Partial<I>, err: unknown) => new Error(`LiveRelay: ${action} ${kind.label(p)} failed: ${messageOf(err)}`);
  const written = (p: I) => `${kind.name}:${idOf(p)}`;

  return {
    async configure(req: ConfigureRequest): Promise<void> {
      configureConnection(req);
    },

    async check(_olds: I, news: I): Promise<CheckResult<I>> {
      const inputs: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(news ?? {})) if (present(v)) inputs[k] = v;
      kind.normalise(inputs);
      return { inputs: inputs as I, failures: kind.validate(inputs) };
    },

    async diff(_id: string, olds: O, news: I): Promise<DiffResult> {
      const differs = (f: keyof I & string) => !sameValue((olds as Record<string, unknown>)[f], (news as Record<string, unknown>)[f]);
      const replaces = kind.identity.filter(differs);
      const updates = kind.mutable.filter(differs);
      // Created before the old one is deleted, also when the identity stays (see the file comment).
      return { changes: replaces.length > 0 || updates.length > 0, replaces, deleteBeforeReplace: false };
    },

    async create(news: I): Promise<CreateResult<O>> {
      const c = client();
      let outs: O;
      try {
        outs = await kind.put(c, news);
      } catch (err) {
        throw failure("creating", news, err);
      }
      recordWrite(written(news), outs.updatedAt);
      return { id: idOf(news), outs };
    },

    async read(id: string, props?: O): Promise<ReadResult<O>> {
      const p = identityOf(id, props);
      const c = client();
      try {
        const outs = await kind.get(c, p);
        return { id: idOf(outs), props: outs };
      } catch (err) {
        // Deleted out of band: a blank id makes the engine drop the resource from the state.
        if (isNotFound(err)) return { id: "" };
        throw failure("reading", p, err);
      }
    },

    async update(_id: string, _olds: O, news: I): Promise<UpdateResult<O>> {
      const c = client();
      let outs: O;
      try {
        outs = await kind.put(c, news);
      } catch (err) {
        throw failure("updating", news, err);
      }
      recordWrite(written(news), outs.updatedAt);
      return { outs };
    },

    async delete(id: string, props: O): Promise<void> {
      const p = identityOf(id, props);
      const c = client();
      try {
        // Another resource of this deployment wrote this identity after this one did: it is theirs now.
        const ours = lastWrite(written(p));
        if (ours !== undefined && ours !== props.updatedAt && (await kind.get(c, p)).updatedAt === ours) return;
        await kind.remove(c, p);
      } catch (err) {
        if (isNotFound(err)) return; // already gone (deleted out of band, or a retried DELETE that had worked)
        throw failure("deleting", p, err);
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
