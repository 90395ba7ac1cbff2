import crypto from "node:crypto";

/**
 * ApsaraVideo "type A" URL signing: auth_key = {expiry}-{rand}-{uid}-{md5hex} where
 * md5hex = md5("/{appName}/{streamName}-{expiry}-{rand}-{uid}-{key}"), expiry in unix seconds.
 */
export type SignatureCheck = { ok: true } | { ok: false; reason: "missing" | "malformed" | "expired" | "mismatch" };

export function verifyAuthKey(p: { appName: string; streamName: string; authKey: string | null; key: string; now: Date }): SignatureCheck {
  if (!p.authKey) return { ok: false, reason: "missing" };
  const match = /^(\d{1,12})-([A-Za-z0-9]{1,64})-([A-Za-z0-9]{1,64})-([0-9a-fA-F]{32})$/.exec(p.authKey);
  if (!match) return { ok: false, reason: "malformed" };
  const [, expiry, rand, uid, given] = match;
  if (Number(expiry) * 1000 <= p.now.getTime()) return { ok: false, reason: "expired" };
  const expected = signature(p.appName, p.streamName, expiry, rand, uid, p.key);
  const same = crypto.timingSafeEqual(Buffer.from(expected, "hex"), Buffer.from(given.toLowerCase(), "hex"));
  return same ? { ok: true } : { ok: false, reason: "mismatch" };
}

export function signature(appName: string, streamName: string, expiry: string | number, rand: string, uid: string, key: string): string {
  return crypto.createHash("md5").update(`/${appName}/${streamName}-${expiry}-${rand}-${uid}-${key}`).digest("hex");
}

/** Builds an auth_key value (tests, docs, operators' scripts). */
export function signAuthKey(p: { appName: string; streamName: string; key: string; expiresAt: Date; rand?: string; uid?: string }): string {
  const expiry = Math.floor(p.expiresAt.getTime() / 1000);
  const rand = p.rand ?? crypto.randomBytes(8).toString("hex");
  const uid = p.uid ?? "0";
  return `${expiry}-${rand}-${uid}-${signature(p.appName, p.streamName, expiry, rand, uid, p.key)}`;
}
