// Turns what the client said in `connect` (app, tcUrl) and `publish` (stream
// name) into the RtmpPublishRequest handed to the hub.
//
// Clients put query strings in different places: ffmpeg appends it to the
// stream name ("show?vhost=x"), OBS users often put it on the app
// ("live?auth_key=x"). Both are merged; on a clash the stream name's wins
// because it is the more specific of the two.
import type { RtmpPublishRequest } from "./server";

export interface NameAndQuery {
  name: string;
  query: URLSearchParams;
}

export function splitNameAndQuery(raw: string): NameAndQuery {
  const q = raw.indexOf("?");
  if (q < 0) return { name: raw, query: new URLSearchParams() };
  return { name: raw.slice(0, q), query: new URLSearchParams(raw.slice(q + 1)) };
}

export function mergeQueries(base: URLSearchParams, override: URLSearchParams): URLSearchParams {
  const merged = new URLSearchParams(base);
  for (const key of new Set(override.keys())) merged.delete(key);
  for (const [key, value] of override) merged.append(key, value);
  return merged;
}

export function buildPublishRequest(
  connect: { app: string; tcUrl: string },
  publishName: string,
  remoteAddress: string,
): RtmpPublishRequest {
  const app = splitNameAndQuery(connect.app);
  const stream = splitNameAndQuery(publishName);
  return {
    app: app.name,
    streamName: stream.name,
    query: mergeQueries(app.query, stream.query),
    tcUrl: connect.tcUrl,
    remoteAddress,
  };
}
