import type Database from "better-sqlite3";
import type { RelayStatus } from "@liverelay/api";
import type { ClaimResult, ClusterStore, Heartbeat, LeaseKey, NodeRecord, StreamInfo, StreamLease } from "../cluster";
import { toLease, toNode, type LeaseRow, type NodeRow } from "../cluster-rows";

type Stmt = (sql: string) => Database.Statement;

/** Expired leases are kept this long (for nothing but a quiet table), then removed. */
const EXPIRED_KEPT_MS = 60_000;

/**
 * The cluster tables in SQLite: a single node's store, so the only node is this process, but
 * the same contract as PostgreSQL's (one transaction per call; the clock is the process's).
 */
export class SqliteCluster implements ClusterStore {
  constructor(
    private readonly db: Database.Database,
    private readonly stmt: Stmt,
    private readonly now: () => number = Date.now,
  ) {}

  async claimStream(c: { key: LeaseKey; nodeId: string; sessionId: string; info: StreamInfo; leaseMs: number; takeover: boolean }): Promise<ClaimResult> {
    return this.db.transaction((): ClaimResult => {
      const now = this.now();
      const held = this.stmt("SELECT node_id, expires_at FROM stream_leases WHERE domain = ? AND app_name = ? AND stream_name = ?").get(c.key.domain, c.key.appName, c.key.streamName) as
        | { node_id: string; expires_at: number }
        | undefined;
      if (held && held.node_id !== c.nodeId && held.expires_at > now && !c.takeover) return { ok: false, holder: held.node_id };
      this.stmt(
        `INSERT INTO stream_leases (domain, app_name, stream_name, node_id, session_id, info, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (domain, app_name, stream_name) DO UPDATE SET node_id = excluded.node_id, session_id = excluded.session_id, info = excluded.info, expires_at = excluded.expires_at`,
      ).run(c.key.domain, c.key.appName, c.key.streamName, c.nodeId, c.sessionId, JSON.stringify(c.info), now + c.leaseMs);
      return { ok: true };
    }).immediate();
  }

  async releaseStream(sessionId: string): Promise<void> {
    this.db.transaction(() => {
      this.stmt("DELETE FROM stream_leases WHERE session_id = ?").run(sessionId);
      this.stmt("DELETE FROM relay_status WHERE session_id = ?").run(sessionId);
    })();
  }

  async heartbeat(beat: Heartbeat): Promise<{ lost: string[] }> {
    return this.db.transaction(() => {
      const now = this.now();
      const n = beat.node;
      this.stmt(
        `INSERT INTO cluster_nodes (id, public_hosts, rtmp_port, srt_port, http_url, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET public_hosts = excluded.public_hosts, rtmp_port = excluded.rtmp_port, srt_port = excluded.srt_port, http_url = excluded.http_url, heartbeat_at = excluded.heartbeat_at`,
      ).run(n.id, JSON.stringify(n.publicHosts), n.rtmpPort, n.srtPort, n.httpUrl, now);
      const renew = this.stmt("UPDATE stream_leases SET expires_at = ?, info = ? WHERE session_id = ? AND node_id = ?");
      const lost = beat.sessions.filter((s) => renew.run(now + beat.leaseMs, JSON.stringify(s.info), s.sessionId, n.id).changes === 0).map((s) => s.sessionId);
      this.stmt("DELETE FROM relay_status WHERE node_id = ?").run(n.id);
      const insert = this.stmt("INSERT OR REPLACE INTO relay_status (template_id, domain, session_id, node_id, status, updated_at) VALUES (?, ?, ?, ?, ?, ?)");
      for (const r of beat.relays) if (!lost.includes(r.sessionId)) insert.run(r.status.templateId, r.key.domain, r.sessionId, n.id, JSON.stringify(r.status), now);
      this.stmt("DELETE FROM stream_leases WHERE expires_at < ?").run(now - EXPIRED_KEPT_MS);
      return { lost };
    }).immediate();
  }

  async listStreams(domain?: string): Promise<StreamLease[]> {
    const rows = (
      domain === undefined
        ? this.stmt("SELECT * FROM stream_leases WHERE expires_at > ? ORDER BY domain, app_name, stream_name").all(this.now())
        : this.stmt("SELECT * FROM stream_leases WHERE domain = ? AND expires_at > ? ORDER BY app_name, stream_name").all(domain, this.now())
    ) as LeaseRow[];
    return rows.map(toLease);
  }

  async listNodes(aliveMs: number): Promise<NodeRecord[]> {
    return (this.stmt("SELECT * FROM cluster_nodes WHERE heartbeat_at > ? ORDER BY id").all(this.now() - aliveMs) as NodeRow[]).map(toNode);
  }

  async listRelayStatus(domain: string): Promise<Map<string, { nodeId: string; status: RelayStatus }>> {
    const rows = this.stmt(
      `SELECT r.template_id, r.node_id, r.status FROM relay_status r JOIN stream_leases l ON l.session_id = r.session_id
       WHERE r.domain = ? AND l.expires_at > ?`,
    ).all(domain, this.now()) as { template_id: string; node_id: string; status: string }[];
    return new Map(rows.map((r) => [r.template_id, { nodeId: r.node_id, status: JSON.parse(r.status) as RelayStatus }]));
  }
}
