import type { IncomingMessage } from "node:http";
import { badRequest, payloadTooLarge, unsupportedMediaType } from "./errors";

export const MAX_BODY_BYTES = 64 * 1024;

/** Reads and parses a JSON body, refusing oversize, non-JSON and malformed bodies before any handler runs. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_BODY_BYTES) throw payloadTooLarge(MAX_BODY_BYTES);
  if (type !== "application/json" && !type.endsWith("+json")) {
    if (declared === 0 && !req.headers["transfer-encoding"] && type === "") throw badRequest("request body is required (JSON)");
    throw unsupportedMediaType();
  }
  const raw = await readLimited(req, MAX_BODY_BYTES);
  if (raw.length === 0) throw badRequest("request body is required (JSON)");
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    throw badRequest("request body is not valid JSON");
  }
}

function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        reject(payloadTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
