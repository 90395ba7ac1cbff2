import dns from "node:dns";
import net, { type LookupFunction } from "node:net";

/**
 * Where webhooks may not point unless `--allow-private-webhooks`: loopback, private, link-local,
 * shared (CGNAT), multicast, reserved and documentation ranges, and the IPv6 forms that embed
 * IPv4 (NAT64, 6to4). BlockList also matches IPv4-mapped IPv6 (`::ffff:127.0.0.1`).
 */
const NOT_PUBLIC: [string, number, "ipv4" | "ipv6"][] = [
  ["0.0.0.0", 8, "ipv4"],
  ["10.0.0.0", 8, "ipv4"],
  ["100.64.0.0", 10, "ipv4"],
  ["127.0.0.0", 8, "ipv4"],
  ["169.254.0.0", 16, "ipv4"],
  ["172.16.0.0", 12, "ipv4"],
  ["192.0.0.0", 24, "ipv4"],
  ["192.0.2.0", 24, "ipv4"],
  ["192.88.99.0", 24, "ipv4"],
  ["192.168.0.0", 16, "ipv4"],
  ["198.18.0.0", 15, "ipv4"],
  ["198.51.100.0", 24, "ipv4"],
  ["203.0.113.0", 24, "ipv4"],
  ["224.0.0.0", 3, "ipv4"], // multicast and 240/4 reserved, broadcast included
  ["::", 128, "ipv6"],
  ["::1", 128, "ipv6"],
  ["64:ff9b::", 96, "ipv6"],
  ["64:ff9b:1::", 48, "ipv6"],
  ["100::", 64, "ipv6"],
  ["2001:db8::", 32, "ipv6"],
  ["2002::", 16, "ipv6"],
  ["fc00::", 7, "ipv6"],
  ["fe80::", 10, "ipv6"],
  ["fec0::", 10, "ipv6"],
  ["ff00::", 8, "ipv6"],
];
const blocked = new net.BlockList();
for (const [address, prefix, family] of NOT_PUBLIC) blocked.addSubnet(address, prefix, family);

export function isPublicAddress(ip: string): boolean {
  const family = net.isIPv4(ip) ? "ipv4" : net.isIPv6(ip) ? "ipv6" : null;
  return family !== null && !blocked.check(ip, family);
}

export class PrivateAddressError extends Error {
  readonly code = "EPRIVATEADDRESS";
  constructor(readonly address: string) {
    super(`the webhook host resolves to ${address}, a loopback or private address (allowed only with --allow-private-webhooks)`);
  }
}

const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, "$1");

/**
 * A `lookup` for http.request that refuses private addresses at connection time: the DNS answer
 * that is checked is the one connected to, so a name cannot resolve publicly when the webhook
 * is saved and to 127.0.0.1 when it is delivered (DNS rebinding).
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "", 0);
      const bad = allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a.address));
      if (bad) return callback(new PrivateAddressError(bad.address), "", 0);
      if (addresses.length === 0) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), "", 0);
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** An IP-literal URL never reaches `lookup`: it is checked here, before connecting. */
export function assertLiteralAllowed(url: URL, allowPrivate: boolean): void {
  const host = hostOf(url);
  if (!allowPrivate && net.isIP(host) && !isPublicAddress(host)) throw new PrivateAddressError(host);
}

/** At save time: every address the host resolves to must be public (unless allowed). Returns a reason, or null when fine. */
export async function urlProblem(raw: string, allowPrivate: boolean): Promise<string | null> {
  if (allowPrivate) return null;
  const url = new URL(raw);
  const host = hostOf(url);
  try {
    assertLiteralAllowed(url, false);
    if (net.isIP(host)) return null;
    const addresses = await dns.promises.lookup(host, { all: true });
    const bad = addresses.find((a) => !isPublicAddress(a.address));
    return bad ? new PrivateAddressError(bad.address).message : null;
  } catch (err) {
    if (err instanceof PrivateAddressError) return err.message;
    return `the webhook host ${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? "lookup failed"})`;
  }
}
