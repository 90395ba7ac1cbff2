import os from "node:os";
import net from "node:net";

/**
 * Does a destination's host reach this machine? Every spelling counts: ffmpeg resolves hosts
 * with getaddrinfo, which reads `127.1`, `0x7f.1`, `2130706433` and `0177.0.0.1` as 127.0.0.1,
 * so a host is normalised the way WHATWG URL parses an http host (the same IPv4 number forms)
 * before it is compared. Loopback is all of 127.0.0.0/8, `::1`, IPv4-mapped forms of either,
 * `0.0.0.0`/`::` (which connect to this machine) and `localhost` (with subdomains, RFC 6761);
 * then the machine's own interface addresses, its hostname, the bind address and the
 * operator's `--public-host` names.
 */
export class SelfHosts {
  private readonly names = new Set<string>();

  constructor(bindHost: string, publicHosts: readonly string[] = []) {
    for (const name of [os.hostname(), bindHost, ...publicHosts]) this.names.add(normaliseHost(name));
    for (const addrs of Object.values(os.networkInterfaces())) for (const a of addrs ?? []) this.names.add(normaliseHost(a.address));
  }

  includes(rawHost: string): boolean {
    const host = normaliseHost(rawHost);
    if (host === "localhost" || host.endsWith(".localhost")) return true;
    const ipv4 = net.isIPv4(host) ? host : ipv4Mapped(host);
    if (ipv4 && (ipv4.startsWith("127.") || ipv4 === "0.0.0.0" || this.names.has(ipv4))) return true;
    return host === "::1" || host === "::" || this.names.has(host);
  }
}

/** Lower case, no brackets, no trailing dot, IPv4 numbers in dotted decimal, IPv6 compressed. */
export function normaliseHost(raw: string): string {
  let host = raw.trim().toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  host = host.replace(/%.*$/, ""); // an IPv6 zone id (fe80::1%eth0) names an interface, not another host
  try {
    const parsed = new URL(`http://${net.isIPv6(host) ? `[${host}]` : host}/`).hostname;
    host = parsed.replace(/^\[|\]$/g, "");
  } catch {
    /* not a valid host for http: compare it as written */
  }
  return host;
}

/** `::ffff:7f00:1` (how WHATWG writes ::ffff:127.0.0.1) → `127.0.0.1`; anything else → null. */
function ipv4Mapped(host: string): string | null {
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!m) return null;
  const hi = parseInt(m[1], 16);
  const lo = parseInt(m[2], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}
