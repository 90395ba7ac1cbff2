import * as pulumi from "@pulumi/pulumi";
import type { RecordingConfigInputs, TranscodeAudio, TranscodeTemplateOutputs } from "./media-provider";
import { LiveRelayResource } from "./resource";

/** Creating a PUT resource takes over what is at its identity: that is their import. */
const PUT_IMPORT_ADVICE = "creating the resource takes over the object already at its identity (the service's PUT): remove `import`, or read it with `.get(name, id)`";

/** Extra inputs of every media resource: the replaceOnChanges option, which the provider applies (see relay-template.ts). */
function hiddenInputs(opts: pulumi.CustomResourceOptions | undefined): pulumi.Inputs {
  return { __replaceOnChanges: opts?.replaceOnChanges, endpoint: undefined };
}

/** Pulumi type tokens (part of every URN: never change them). */
export const TRANSCODE_TEMPLATE_TYPE = "pulumi-nodejs:dynamic/liverelay:TranscodeTemplate";
export const SNAPSHOT_CONFIG_TYPE = "pulumi-nodejs:dynamic/liverelay:SnapshotConfig";
export const RECORDING_CONFIG_TYPE = "pulumi-nodejs:dynamic/liverelay:RecordingConfig";

// ---- TranscodeTemplate -----------------------------------------------------------------

/** The video of a rendition: H.264 (libx264 veryfast, zerolatency), scaled to `height` keeping the aspect ratio. */
export interface TranscodeVideoArgs {
  codec: pulumi.Input<"h264">;
  /** Output height in pixels: 144-2160, even. */
  height: pulumi.Input<number>;
  /** 100-20 000 kbit/s. */
  bitrateKbps: pulumi.Input<number>;
  /** Output frame rate, 1-60; omitted: the source's. */
  fps?: pulumi.Input<number>;
  /** Keyframe interval, 1-10 s; default 2 (leaving it out and writing 2 are the same). */
  gopSeconds?: pulumi.Input<number>;
}

/** AAC re-encoding of the rendition's audio. */
export interface TranscodeAudioArgs {
  codec: pulumi.Input<"aac">;
  /** 32-320 kbit/s. */
  bitrateKbps: pulumi.Input<number>;
}

/** Arguments of a `TranscodeTemplate`. */
export interface TranscodeTemplateArgs {
  /** Streaming domain (lowercase DNS name). Changing it replaces the template. */
  domain: pulumi.Input<string>;
  /**
   * 1-32 letters, digits or '-'. While stream `s` of `appName` is live, its rendition `s_<templateId>`
   * is live too (relay it with a `RelayTemplate` whose streamName is `s_<templateId>`).
   * Changing it replaces the template.
   */
  templateId: pulumi.Input<string>;
  /** The app whose streams get the rendition (case-sensitive). Updated in place. */
  appName: pulumi.Input<string>;
  /** Updated in place. */
  video: pulumi.Input<TranscodeVideoArgs>;
  /** AAC re-encoding, or `null` to copy the source's audio unchanged. Updated in place. */
  audio: pulumi.Input<TranscodeAudioArgs | null>;
}

/**
 * A LiveRelay transcode template: every live stream of `appName` gets a rendition `<stream>_<templateId>`.
 *
 * The service creates or replaces a template at `domain`/`templateId` (PUT): creating the resource
 * takes over a template that already exists there. The resource id is `<domain>/<templateId>`.
 * The service is chosen by the stack config `liverelay:endpoint` and `liverelay:token` (secret),
 * or the environment variables `LIVERELAY_ENDPOINT` and `LIVERELAY_TOKEN`.
 */
export class TranscodeTemplate extends LiveRelayResource {
  public declare readonly domain: pulumi.Output<string>;
  public declare readonly templateId: pulumi.Output<string>;
  public declare readonly appName: pulumi.Output<string>;
  /** With the default `gopSeconds` filled in; `fps` is undefined when the source's rate is kept. */
  public declare readonly video: pulumi.Output<TranscodeTemplateOutputs["video"]>;
  public declare readonly audio: pulumi.Output<TranscodeAudio | null>;
  public declare readonly createdAt: pulumi.Output<string>;
  public declare readonly updatedAt: pulumi.Output<string>;

  /** The service the template lives on. */
  public declare readonly endpoint: pulumi.Output<string>;

  /** Reads an existing transcode template into the program without managing it; `id` is `<domain>/<templateId>`. */
  public static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): TranscodeTemplate {
    return new TranscodeTemplate(name, {} as TranscodeTemplateArgs, { ...opts, id });
  }

  constructor(name: string, args: TranscodeTemplateArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "TranscodeTemplate",
      name,
      {
        domain: args.domain,
        templateId: args.templateId,
        appName: args.appName,
        video: args.video,
        audio: args.audio,
        createdAt: undefined,
        updatedAt: undefined,
        ...hiddenInputs(opts),
      },
      opts,
      PUT_IMPORT_ADVICE,
    );
  }
}

// ---- SnapshotConfig ----------------------------------------------------------------------

/** Arguments of a `SnapshotConfig`. */
export interface SnapshotConfigArgs {
  /** Streaming domain (lowercase DNS name). Changing it replaces the config. */
  domain: pulumi.Input<string>;
  /** The app whose live streams are snapshotted (case-sensitive). Changing it replaces the config. */
  appName: pulumi.Input<string>;
  /** One JPEG per live stream every 1-3600 s. Updated in place. */
  intervalSeconds: pulumi.Input<number>;
  /** JPEGs kept per stream, newest first: 1-1000, default 1. Updated in place. */
  keep?: pulumi.Input<number>;
}

/**
 * The snapshot config of one app: a JPEG of each of its live streams every `intervalSeconds`.
 * One per domain and app; creating the resource takes over an existing config (PUT).
 * The resource id is `<domain>/<appName>`.
 */
export class SnapshotConfig extends LiveRelayResource {
  public declare readonly domain: pulumi.Output<string>;
  public declare readonly appName: pulumi.Output<string>;
  public declare readonly intervalSeconds: pulumi.Output<number>;
  /** With the default filled in. */
  public declare readonly keep: pulumi.Output<number>;
  public declare readonly updatedAt: pulumi.Output<string>;

  /** The service the config lives on. */
  public declare readonly endpoint: pulumi.Output<string>;

  /** Reads an app's existing snapshot config into the program without managing it; `id` is `<domain>/<appName>`. */
  public static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): SnapshotConfig {
    return new SnapshotConfig(name, {} as SnapshotConfigArgs, { ...opts, id });
  }

  constructor(name: string, args: SnapshotConfigArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "SnapshotConfig",
      name,
      { domain: args.domain, appName: args.appName, intervalSeconds: args.intervalSeconds, keep: args.keep, updatedAt: undefined, ...hiddenInputs(opts) },
      opts,
      PUT_IMPORT_ADVICE,
    );
  }
}

// ---- RecordingConfig ---------------------------------------------------------------------

/** Arguments of a `RecordingConfig`. */
export interface RecordingConfigArgs {
  /** Streaming domain (lowercase DNS name). Changing it replaces the config. */
  domain: pulumi.Input<string>;
  /** The app whose live streams are recorded (case-sensitive). Changing it replaces the config. */
  appName: pulumi.Input<string>;
  /** `mp4` (fragmented) and `flv`: one file per segment; `hls`: one playlist per publish. Updated in place. */
  format: pulumi.Input<RecordingConfigInputs["format"]>;
  /** Segment length, 10-21 600 s. Updated in place. */
  segmentSeconds: pulumi.Input<number>;
}

/**
 * The recording config of one app: every live stream of it is recorded.
 * One per domain and app; creating the resource takes over an existing config (PUT).
 * The resource id is `<domain>/<appName>`. Deleting it stops the recorders; recordings stay.
 */
export class RecordingConfig extends LiveRelayResource {
  public declare readonly domain: pulumi.Output<string>;
  public declare readonly appName: pulumi.Output<string>;
  public declare readonly format: pulumi.Output<RecordingConfigInputs["format"]>;
  public declare readonly segmentSeconds: pulumi.Output<number>;
  public declare readonly updatedAt: pulumi.Output<string>;

  /** The service the config lives on. */
  public declare readonly endpoint: pulumi.Output<string>;

  /** Reads an app's existing recording config into the program without managing it; `id` is `<domain>/<appName>`. */
  public static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): RecordingConfig {
    return new RecordingConfig(name, {} as RecordingConfigArgs, { ...opts, id });
  }

  constructor(name: string, args: RecordingConfigArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "RecordingConfig",
      name,
      { domain: args.domain, appName: args.appName, format: args.format, segmentSeconds: args.segmentSeconds, updatedAt: undefined, ...hiddenInputs(opts) },
      opts,
      PUT_IMPORT_ADVICE,
    );
  }
}
