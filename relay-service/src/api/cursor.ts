/**
 * Page cursors: the last id of a page, base64url-encoded so clients pass it along unchanged.
 * Any base64url string (the schema's pattern) is a valid keyset position, so the server
 * accepts exactly what /openapi.json describes.
 */
export const encodeCursor = (lastId: string) => Buffer.from(lastId, "utf8").toString("base64url");

export const decodeCursor = (cursor: string): string => Buffer.from(cursor, "base64url").toString("utf8");
