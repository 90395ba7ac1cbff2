/**
 * Destination URLs carry secrets in places no list of names can cover: the stream key in the
 * path (`rtmp://host/app/KEY`), any query value (`?streamid=`, `?passphrase=`, Facebook's
 * `?s_bl=1&a=…`, a provider's `?streamkey=`), user-info, and for SRT an unencoded `#!::` stream id
 * that a URL parser reads as a fragment. So redaction is structural: keep the scheme, host, port
 * and app (first path segment), and replace the rest of the path, the whole query, the fragment
 * and the user-info with `***`. Everything that logs, reports or raises an error about a URL
 * goes through here first.
 */
const HIDDEN = "***";

/** `scheme://authority path ?query #fragment`, split as RFC 3986 does (without validating). */
const URL_PARTS = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/is;
/** What may be shown of a host: a DNS name or IPv4 address, or an IPv6 literal. */
const SAFE_HOST = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])$/i;
/** What may be shown of an app segment: plain characters only (no encoding, no `@`, `:`, `;`). */
const SAFE_SEGMENT = /^[a-z0-9._~-]+$/i;

export function redactUrl(raw: string): string {
  const parts = URL_PARTS.exec(raw.trim());
  if (!parts) return "[unparseable URL redacted]";
  const [, scheme, authority, path, query, fragment] = parts;
  const at = authority.lastIndexOf("@");
  const userinfo = at >= 0;
  const hostPort = authority.slice(at + 1);
  const { host, port } = splitHostPort(hostPort);
  let out = `${scheme.toLowerCase()}://${userinfo ? `${HIDDEN}@` : ""}${SAFE_HOST.test(host) ? host : HIDDEN}`;
  if (port !== undefined) out += `:${/^\d{1,5}$/.test(port) ? port : HIDDEN}`;
  out += redactPath(path);
  if (query !== undefined) out += `?${HIDDEN}`;
  if (fragment !== undefined) out += `#${HIDDEN}`;
  return out;
}

function splitHostPort(hostPort: string): { host: string; port?: string } {
  if (hostPort.startsWith("[")) {
    const end = hostPort.indexOf("]");
    if (end < 0) return { host: hostPort };
    const rest = hostPort.slice(end + 1);
    return { host: hostPort.slice(0, end + 1), port: rest.startsWith(":") ? rest.slice(1) : rest ? rest : undefined };
  }
  const colon = hostPort.lastIndexOf(":");
  return colon < 0 ? { host: hostPort } : { host: hostPort.slice(0, colon), port: hostPort.slice(colon + 1) };
}

/** `/app/stream/…` → `/app/***`; the app alone stays; an app that is not plain text is hidden too. */
function redactPath(path: string): string {
  if (path === "" || path === "/") return path;
  const slash = path.indexOf("/", 1);
  const app = slash < 0 ? path.slice(1) : path.slice(1, slash);
  const rest = slash < 0 ? "" : path.slice(slash + 1);
  return `/${SAFE_SEGMENT.test(app) ? app : HIDDEN}${rest === "" ? (slash < 0 ? "" : "/") : `/${HIDDEN}`}`;
}

/**
 * Redacts every URL-looking substring of a free-form text (error messages, ffmpeg output, log
 * lines). Up to its query a URL runs to whitespace, a quote or a bracket (user-info up to an `@`
 * and an IPv6 literal's `[…]` right after `//` belong to it); a query or fragment runs to what a
 * URL cannot hold raw (whitespace, `"`, `<`, `>`, `` ` ``), so a `'` or `)` inside it is hidden
 * too. Trailing sentence punctuation stays outside, visible.
 */
const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/(?:[^\s"/?#@<>]*@)?(?:\[[^\]\s]*\])?[^\s'"()<>[\]{}?#]*(?:[?#][^\s"<>`]*)?/gi;

export function redactText(text: string): string {
  return text.replace(URL_IN_TEXT, (match) => {
    const punctuation = /[.,;:!?]*$/.exec(match)![0];
    return redactUrl(match.slice(0, match.length - punctuation.length)) + punctuation;
  });
}
