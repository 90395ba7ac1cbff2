import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { notFound } from "../errors";
import { defineRoute, type Reply, type Route } from "../route";

/**
 * The operator console's static files (built by `npm run build` into dist/console): open, like
 * /healthz, because they hold no data; every call the page makes for data needs the API token.
 */
export interface ConsoleAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/**
 * Scripts and styles from this origin only (no inline code, so injected markup cannot run);
 * data calls to this origin only; images and media also from `blob:` (snapshots are fetched with
 * the token and shown as blob URLs, hls.js feeds the video through a MediaSource blob URL).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": CONSOLE_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  // Names are not content-hashed, so the browser revalidates every load (a 304 when unchanged):
  // after an upgrade the page never mixes an old script with a new one.
  "cache-control": "no-cache",
};

/**
 * Reads the built console once at start (a few hundred KB): served from memory, by name from
 * this map only, so no request path ever reaches the file system. Empty when not built.
 */
export function loadConsoleAssets(dir: string): Map<string, ConsoleAsset> {
  const assets = new Map<string, ConsoleAsset>();
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return assets;
  }
  for (const name of names) {
    const contentType = CONTENT_TYPES[path.extname(name)];
    if (!contentType) continue; // source maps and anything else stay private
    const body = fs.readFileSync(path.join(dir, name));
    assets.set(name, { body, contentType, etag: `"${crypto.createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` });
  }
  return assets;
}

/** `GET /console` (the page) and `GET /console/{file}` (its scripts and styles). */
export function consoleRoutes(assets: Map<string, ConsoleAsset>): Route[] {
  const common = { method: "GET", tag: "console", auth: false, undocumented: true, responses: { 200: { description: "A console file" } } } as const;
  return [
    defineRoute({ ...common, path: "/console", operationId: "consolePage", summary: "The operator console", handle: ({ req }) => assetReply(assets, "index.html", req.headers["if-none-match"]) }),
    defineRoute<{ file: string }, unknown, unknown>({
      ...common,
      path: "/console/:file",
      operationId: "consoleAsset",
      summary: "A file of the operator console",
      handle: ({ params, req }) => assetReply(assets, params.file, req.headers["if-none-match"]),
    }),
  ];
}

function assetReply(assets: Map<string, ConsoleAsset>, name: string, ifNoneMatch: string | undefined): Reply {
  const asset = assets.get(name);
  if (!asset) throw notFound(assets.size === 0 ? "the console is not built (run npm run build)" : `no console file ${name}`);
  const headers = { ...SECURITY_HEADERS, etag: asset.etag };
  if (ifNoneMatch?.split(",").some((tag) => tag.trim() === asset.etag)) return { status: 304, headers };
  return { status: 200, headers, raw: { contentType: asset.contentType, text: asset.body } };
}
