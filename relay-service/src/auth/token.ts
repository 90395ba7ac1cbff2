import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export const TOKEN_FILE = "api-token";

export interface TokenSource {
  token: string;
  /** Where the token came from, for the start-up line; never the token itself. */
  origin: "configured" | "generated" | "stored";
  file?: string;
}

/**
 * No unauthenticated API, ever: without a configured token, one is generated at first
 * start and kept in the data dir (mode 0600) so restarts keep working.
 */
export function resolveApiToken(configured: string | undefined, dataDir: string): TokenSource {
  if (configured) return { token: configured, origin: "configured" };
  const file = path.join(dataDir, TOKEN_FILE);
  try {
    const stored = fs.readFileSync(file, "utf8").trim();
    if (stored.length >= 16) return { token: stored, origin: "stored", file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const token = `lr_${crypto.randomBytes(32).toString("base64url")}`;
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "w" });
  fs.chmodSync(file, 0o600);
  return { token, origin: "generated", file };
}

/** Compares a presented bearer token in constant time (hashing first makes lengths equal). */
export function createTokenChecker(expected: string): (authorization: string | undefined) => boolean {
  const expectedHash = crypto.createHash("sha256").update(expected).digest();
  return (authorization) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    const presented = crypto.createHash("sha256").update(match?.[1] ?? "").digest();
    return crypto.timingSafeEqual(presented, expectedHash) && match !== null;
  };
}
