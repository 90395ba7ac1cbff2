import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const NODE_ID_FILE = "node-id";

/**
 * This node's id: `--node-id`, else the one kept in the data dir, else a new one written there,
 * so a restarted node is the same node (its leases and relay status rows stay its own).
 */
export function resolveNodeId(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = path.join(dataDir, NODE_ID_FILE);
  try {
    const kept = fs.readFileSync(file, "utf8").trim();
    if (kept) return kept;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const id = `node-${crypto.randomBytes(6).toString("hex")}`;
  fs.writeFileSync(file, `${id}\n`, { mode: 0o600 });
  return id;
}

const WILDCARDS = new Set(["0.0.0.0", "::", ""]);

/**
 * Where players reach this node's HTTP reads (other nodes redirect there): the first
 * `--public-host` (the node's own name), else the bind address when it is a specific one, with
 * the HTTP port it listens on. '' when neither: other nodes then cannot send players here.
 */
export function advertisedHttpUrl(bindHost: string, publicHosts: readonly string[], port: number): string {
  const host = publicHosts[0] ?? (WILDCARDS.has(bindHost) ? "" : bindHost);
  if (!host) return "";
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * The names and addresses other nodes should treat as this node's ingest: the operator's
 * `--public-host` names, the bind address when it is a specific one, the host name and every
 * non-internal interface address (destinations often name a node by IP).
 */
export function advertisedHosts(bindHost: string, publicHosts: readonly string[]): string[] {
  const hosts = new Set<string>(publicHosts);
  if (!WILDCARDS.has(bindHost)) hosts.add(bindHost);
  hosts.add(os.hostname());
  for (const addrs of Object.values(os.networkInterfaces())) for (const a of addrs ?? []) if (!a.internal) hosts.add(a.address);
  return [...hosts];
}
