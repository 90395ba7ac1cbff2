import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Playback may be read from a page on another origin (a player with the API token in
 * `Authorization`, e.g. hls.js's xhrSetup): any origin, no cookies, the headers players send.
 */
export const CORS_HEADERS: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "content-length, content-type, x-request-id",
};

/** The answer to a browser's preflight (OPTIONS) for a CORS route. */
export function answerPreflight(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(204, {
    ...CORS_HEADERS,
    "access-control-allow-methods": "GET, OPTIONS",
    "access-control-allow-headers": "authorization, range, content-type",
    "access-control-max-age": "600",
  });
  res.end();
}
