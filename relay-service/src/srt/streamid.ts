/**
 * SRT stream-id parsing.
 *
 * Two syntaxes are accepted:
 *  - Haivision access control: `#!::h=host,r=app/stream?key=v,m=publish,u=user,s=session,t=stream`
 *    (keys u, r, h, s, t, m; `m` defaults to "request" and `t` to "stream" per the SRT
 *    access-control guidelines; unknown keys are tolerated, as the guidelines allow).
 *  - MediaMTX short form: `publish:app/stream[:query]` or `publish:app/stream:user:pass[:query]`
 *    (action `publish` or `read`, the latter meaning "request").
 *
 * Stream ids carry credentials (query auth keys, passwords, session ids): log only
 * {@link describeStreamId}, never the raw value.
 */

export interface ParsedStreamId {
  mode: "publish" | "request";
  /** `app/stream`: no leading slash, no query. */
  resource: string;
  host?: string;
  user?: string;
  session?: string;
  /** Query after `?` in the resource. For the short form with credentials, the password is `pass`. */
  query: URLSearchParams;
}

const MAX_STREAMID_LENGTH = 512; // SRT's own limit
const ACCESS_CONTROL_PREFIX = "#!::";
// Whitespace (which includes most control characters), backslashes and DEL have no
// business in a resource name.
const BAD_SEGMENT_CHARS = /[\s\\\u007f]/;
const hasControlChar = (s: string) => [...s].some((ch) => ch.charCodeAt(0) < 0x20);

export function parseStreamId(raw: string): ParsedStreamId | null {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > MAX_STREAMID_LENGTH) return null;
  return raw.startsWith(ACCESS_CONTROL_PREFIX)
    ? parseAccessControl(raw.slice(ACCESS_CONTROL_PREFIX.length))
    : parseShortForm(raw);
}

/** A log-safe rendering: mode, host, resource and user only (no query, session or password). */
export function describeStreamId(raw: string): string {
  const p = parseStreamId(raw);
  if (!p) return `<unparsed streamid, ${typeof raw === "string" ? raw.length : 0} chars>`;
  const user = p.user ? ` user=${p.user}` : "";
  return `${p.mode} ${p.host ? `${p.host}/` : ""}${p.resource}${user}`;
}

function parseAccessControl(body: string): ParsedStreamId | null {
  const fields = parseKeyValues(body);
  if (!fields) return null;
  const mode = parseMode(fields.get("m") ?? "request");
  const type = fields.get("t") ?? "stream";
  const r = fields.get("r");
  if (!mode || type !== "stream" || r === undefined) return null;
  const res = splitResource(r);
  if (!res) return null;
  return withOptional({ mode, ...res }, { host: fields.get("h"), user: fields.get("u"), session: fields.get("s") });
}

/** `k=v,k=v` with no empty values and no repeated keys; values may contain `=`. */
function parseKeyValues(body: string): Map<string, string> | null {
  const fields = new Map<string, string>();
  for (const item of body.split(",")) {
    const eq = item.indexOf("=");
    if (eq <= 0 || eq === item.length - 1) return null;
    const key = item.slice(0, eq);
    if (fields.has(key)) return null;
    fields.set(key, item.slice(eq + 1));
  }
  return fields;
}

function parseMode(m: string): ParsedStreamId["mode"] | null {
  // "bidirectional" is valid SRT but not something an ingest can serve.
  return m === "publish" || m === "request" ? m : null;
}

function parseShortForm(raw: string): ParsedStreamId | null {
  const parts = raw.split(":");
  if (parts.length < 2 || parts.length > 5) return null;
  const mode = parts[0] === "publish" ? "publish" : parts[0] === "read" ? "request" : null;
  const res = splitResource(parts[1]);
  if (!mode || !res) return null;
  const extraQuery = parts.length === 3 ? parts[2] : parts.length === 5 ? parts[4] : "";
  for (const [k, v] of new URLSearchParams(extraQuery)) res.query.append(k, v);
  if (parts.length < 4) return { mode, ...res };
  const [user, pass] = [parts[2], parts[3]];
  if (!user) return null;
  if (pass) res.query.set("pass", pass);
  return { mode, ...res, user };
}

function splitResource(r: string): { resource: string; query: URLSearchParams } | null {
  const q = r.indexOf("?");
  const path = (q < 0 ? r : r.slice(0, q)).replace(/^\//, "");
  if (!isValidResource(path)) return null;
  return { resource: path, query: new URLSearchParams(q < 0 ? "" : r.slice(q + 1)) };
}

function isValidResource(path: string): boolean {
  if (path.length === 0) return false;
  return path
    .split("/")
    .every((seg) => seg.length > 0 && seg !== "." && seg !== ".." && !BAD_SEGMENT_CHARS.test(seg) && !hasControlChar(seg));
}

function withOptional(
  base: ParsedStreamId,
  extra: { host?: string; user?: string; session?: string },
): ParsedStreamId {
  const out: ParsedStreamId = { ...base };
  if (extra.host !== undefined) out.host = extra.host;
  if (extra.user !== undefined) out.user = extra.user;
  if (extra.session !== undefined) out.session = extra.session;
  return out;
}
