import * as pulumi from "@pulumi/pulumi";
import { RelayTemplate } from "@liverelay/pulumi";

// The LiveRelay service comes from the stack config (read by the provider, not here):
//   pulumi config set liverelay:endpoint http://relay.internal:8080
//   pulumi config set --secret liverelay:token "$(cat liverelay-data/api-token)"
const config = new pulumi.Config();

const domain = config.get("domain") ?? "shows.example.com";
const show = { domain, appName: "live", streamName: config.get("streamName") ?? "keynote" };

// Relay only while the show is on. Times are RFC 3339 UTC; the window must be shorter than 7 days.
const window = {
  mode: "time" as const,
  startTime: config.get("startTime") ?? "2026-12-01T09:00:00Z",
  endTime: config.get("endTime") ?? "2026-12-01T12:00:00Z",
};

// The destination URLs hold the stream keys: keep them in the config as secrets
// (`pulumi config set --secret youtubeUrl rtmp://a.rtmp.youtube.com/live2/xxxx-xxxx-xxxx-xxxx`).
// They are stored as secrets in the state either way.
const youtube = new RelayTemplate("youtube", {
  ...show,
  ...window,
  destinationUrl: config.requireSecret("youtubeUrl"),
  description: "Keynote to YouTube",
});

const twitch = new RelayTemplate("twitch", {
  ...show,
  ...window,
  destinationUrl: config.requireSecret("twitchUrl"),
  description: "Keynote to Twitch",
});

export const templateIds = { youtube: youtube.templateId, twitch: twitch.templateId };
export const relayWindow = pulumi.interpolate`${youtube.startTime} to ${youtube.endTime}`;
