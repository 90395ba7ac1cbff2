import net from "node:net";
import { AppName, Domain, StreamName } from "@liverelay/api";
import type { StreamKey } from "../hub/live-stream";

export interface PublishTarget {
  app: string;
  streamName: string;
  query: URLSearchParams;
  /** RTMP tcUrl, or the host an SRT caller named with `h`. */
  host?: string;
}

export type IdentityResult = { ok: true; key: StreamKey } | { ok: false; message: string };

/**
 * A stream's domain: the `vhost` or `domain` query parameter, else the host the publisher
 * addressed when it is a hostname (not an IP, not localhost), else --default-domain.
 */
export function resolveStreamKey(target: PublishTarget, defaultDomain: string): IdentityResult {
  const named = target.query.get("vhost") ?? target.query.get("domain");
  const domain = (named ?? hostDomain(target.host) ?? defaultDomain).toLowerCase();
  if (!Domain.safeParse(domain).success) return { ok: false, message: "the domain is not a valid hostname" };
  if (!AppName.safeParse(target.app).success) return { ok: false, message: "appName must be 1-255 letters, digits, '_', '-' or '.'" };
  if (!StreamName.safeParse(target.streamName).success) return { ok: false, message: "streamName must be 1-255 letters, digits, '_', '-' or '.'" };
  return { ok: true, key: { domain, appName: target.app, streamName: target.streamName } };
}

function hostDomain(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (net.isIP(bare) || bare === "localhost" || bare.endsWith(".localhost")) return undefined;
  return bare;
}

/** The host of an RTMP tcUrl (`rtmp://host:port/app`), without the port. */
export function tcUrlHost(tcUrl: string): string | undefined {
  try {
    return new URL(tcUrl).hostname || undefined;
  } catch {
    return undefined;
  }
}
