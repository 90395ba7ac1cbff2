import fs from "node:fs";
import type { ServerResponse } from "node:http";
import { ApiProblem, notFound } from "./errors";
import type { Reply } from "./route";

/**
 * A file as a reply, honouring a single `Range: bytes=…` (206 with content-range; 416 when it
 * cannot be satisfied or is malformed). Multiple ranges get the whole file (200), which RFC
 * 9110 allows. The size is taken now: a recording still being written is served as it is.
 */
export function fileReply(file: string, contentType: string, range: string | undefined, extraHeaders: Record<string, string> = {}): Reply {
  let size: number;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new Error("not a file");
    size = stat.size;
  } catch {
    throw notFound("the file does not exist (any more)");
  }
  const headers = { "content-type": contentType, "accept-ranges": "bytes", ...extraHeaders };
  const wanted = range === undefined ? null : parseRange(range, size);
  if (wanted === "unsatisfiable") throw rangeNotSatisfiable(size);
  if (!wanted) return { status: 200, headers: { ...headers, "content-length": String(size) }, file: { path: file, start: 0, end: size - 1 } };
  const { start, end } = wanted;
  return {
    status: 206,
    headers: { ...headers, "content-length": String(end - start + 1), "content-range": `bytes ${start}-${end}/${size}` },
    file: { path: file, start, end },
  };
}

/** null: serve the whole file (no byte range, or several). */
function parseRange(header: string, size: number): { start: number; end: number } | null | "unsatisfiable" {
  const spec = /^bytes=(.+)$/i.exec(header.trim())?.[1];
  if (spec === undefined) return null; // another unit: ignored
  if (spec.includes(",")) return null;
  const m = /^\s*(\d*)-(\d*)\s*$/.exec(spec);
  if (!m || (m[1] === "" && m[2] === "")) return "unsatisfiable";
  if (m[1] === "") {
    const suffix = Number(m[2]);
    return suffix === 0 || size === 0 ? "unsatisfiable" : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  return start >= size || end < start ? "unsatisfiable" : { start, end };
}

const rangeNotSatisfiable = (size: number) =>
  new ApiProblem(416, "RangeNotSatisfiable", `the requested range is not satisfiable: the file has ${size} bytes`, "Range", { "content-range": `bytes */${size}` });

/** Streams the reply's file; the headers (length, range) are already computed. */
export function streamFile(res: ServerResponse, file: NonNullable<Reply["file"]>): void {
  if (file.end < file.start) return void res.end(); // an empty file
  const stream = fs.createReadStream(file.path, { start: file.start, end: file.end });
  stream.on("error", () => res.destroy());
  res.on("close", () => stream.destroy());
  stream.pipe(res);
}
