import { badRequest } from "./errors";

/** Opaque page cursors: the last id of a page, base64url JSON so clients do not build them. */
export const encodeCursor = (lastId: string) => Buffer.from(JSON.stringify({ after: lastId })).toString("base64url");

export function decodeCursor(cursor: string): string {
  try {
    const after = (JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { after?: unknown }).after;
    if (typeof after === "string") return after;
  } catch {
    /* fall through */
  }
  throw badRequest("cursor is not valid: pass nextCursor from a previous page unchanged", "cursor");
}
