/**
 * Destination URLs carry stream keys: the last path segment of rtmp(s) URLs and the
 * `streamid`/`passphrase` of srt URLs. Everything that logs, reports or raises an error
 * about a URL goes through here first.
 */
const SECRET_QUERY_KEYS = /^(streamid|passphrase|auth_key|key|token|secret|password|pass|sign)$/i;

export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "[unparseable URL redacted]";
  }
  url.username = "";
  url.password = "";
  if (url.protocol !== "srt:") {
    const segments = url.pathname.split("/");
    const last = segments.length - 1;
    if (last >= 2 && segments[last] !== "") segments[last] = "***";
    url.pathname = segments.join("/");
  }
  // An SRT streamid written as `#!::…` is, to a URL parser, a fragment holding the rest of the
  // query (passphrase included): hide it whole.
  if (url.hash) url.hash = "***";
  for (const key of [...url.searchParams.keys()]) {
    if (SECRET_QUERY_KEYS.test(key)) url.searchParams.set(key, "***");
  }
  return url.toString().replace(/%2A%2A%2A/g, "***");
}

/** Redacts every URL-looking substring of a free-form text (error messages, ffmpeg output). */
export function redactText(text: string): string {
  // A URL ends at whitespace, a quote or a bracket; trailing sentence punctuation is not part of it.
  return text.replace(/\b(rtmps?|srt):\/\/[^\s'"()<>[\]{}]+?(?=[.,;:!?]*(?:[\s'"()<>[\]{}]|$))/gi, (match) => redactUrl(match));
}
