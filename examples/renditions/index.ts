import * as pulumi from "@pulumi/pulumi";
import { RecordingConfig, RelayTemplate, SnapshotConfig, TranscodeTemplate } from "@liverelay/pulumi";

// The LiveRelay service comes from the stack config (read by the provider, not here):
//   pulumi config set liverelay:endpoint http://relay.internal:8080
//   pulumi config set --secret liverelay:token "$(cat liverelay-data/api-token)"
const config = new pulumi.Config();

const domain = config.get("domain") ?? "shows.example.com";
const appName = "live";
const streamName = config.get("streamName") ?? "keynote";

// A 360p rendition of every live stream of the app: while `keynote` is live, `keynote_sd` is too.
// gopSeconds is left to its default (2 s); fps is the source's.
const sd = new TranscodeTemplate("sd", {
  domain,
  appName,
  templateId: "sd",
  video: { codec: "h264", height: 360, bitrateKbps: 800 },
  audio: { codec: "aac", bitrateKbps: 96 },
});

// Relay the rendition, not the source: its stream name is `<stream>_<templateId>` ("keynote_sd").
// Built from the template's output, so the relay template is created after the transcode template.
const mobile = new RelayTemplate("mobile", {
  domain,
  appName,
  streamName: pulumi.interpolate`${streamName}_${sd.templateId}`,
  // Holds the stream key: `pulumi config set --secret mobileUrl rtmp://…`. Stored as a secret either way.
  destinationUrl: config.requireSecret("mobileUrl"),
  mode: "always",
  description: "Keynote, 360p rendition",
});

// A JPEG of every live stream of the app every 10 s, the last 6 kept (one minute).
const snapshots = new SnapshotConfig("snapshots", { domain, appName, intervalSeconds: 10, keep: 6 });

// Every live stream of the app recorded as fragmented MP4, one file per 30 minutes.
const recording = new RecordingConfig("recording", { domain, appName, format: "mp4", segmentSeconds: 1800 });

export const renditionStream = mobile.streamName;
export const ids = { sd: sd.id, mobile: mobile.templateId, snapshots: snapshots.id, recording: recording.id };
