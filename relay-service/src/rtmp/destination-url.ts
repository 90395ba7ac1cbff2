// What an RTMP publisher needs from a destination URL such as
// rtmp://a.rtmp.youtube.com/live2/KEY or rtmps://live-api-s.facebook.com:443/rtmp/KEY?s_bl=1
// — split the way encoders split it: the last path segment plus the query is
// the stream name (ingest services put tokens in that query), everything
// before it is the application.

export const RTMP_DEFAULT_PORT = 1935;
export const RTMPS_DEFAULT_PORT = 443;

export interface RtmpTarget {
  secure: boolean;
  host: string;
  port: number;
  app: string;
  /** The publish name, query string included. A secret: never log it. */
  streamName: string;
  /** What `connect` sends as tcUrl: scheme, host, port when given, app. */
  tcUrl: string;
}

export class RtmpUrlError extends Error {
  override name = "RtmpUrlError";
}

export function parseRtmpUrl(url: string): RtmpTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RtmpUrlError("not a valid URL");
  }
  const secure = parsed.protocol === "rtmps:";
  if (!secure && parsed.protocol !== "rtmp:") throw new RtmpUrlError(`not an rtmp:// or rtmps:// URL`);
  if (!parsed.hostname) throw new RtmpUrlError("the URL has no host");
  const path = parsed.pathname.replace(/^\/+/, "");
  const cut = path.lastIndexOf("/");
  if (cut <= 0 || cut === path.length - 1) throw new RtmpUrlError("the URL needs an application and a stream name: rtmp://host/app/stream");
  const app = path.slice(0, cut);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = parsed.port ? Number(parsed.port) : secure ? RTMPS_DEFAULT_PORT : RTMP_DEFAULT_PORT;
  const tcUrl = `${parsed.protocol}//${parsed.host}/${app}`;
  return { secure, host, port, app, streamName: path.slice(cut + 1) + parsed.search, tcUrl };
}
