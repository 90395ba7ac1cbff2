import type { RelayStatus } from "@liverelay/api";
import type { ClaimResult, ClusterStore, Heartbeat, LeaseKey, NodeRecord, StreamInfo, StreamLease } from "../cluster";
import { toLease, toNode, type LeaseRow, type NodeRow } from "../cluster-rows";
import type { PgDb } from "./pg-db";

/** Expired leases are kept this long (for nothing but a quiet table), then removed. */
const EXPIRED_KEPT_MS = 60_000;

/**
 * The cluster tables in PostgreSQL. Every time is the database's clock (`now()`), so nodes
 * whose clocks drift apart still agree on when a lease expires.
 */
export class PgCluster implements ClusterStore {
  constructor(private readonly db: PgDb) {}

  /**
   * One statement: the row lock of INSERT … ON CONFLICT serialises two nodes claiming at once,
   * and the WHERE lets the update through only when the lease is ours, expired, or taken over.
   */
  async claimStream(c: { key: LeaseKey; nodeId: string; sessionId: string; info: StreamInfo; leaseMs: number; takeover: boolean }): Promise<ClaimResult> {
    const won = await this.db.query(
      `INSERT INTO stream_leases (domain, app_name, stream_name, node_id, session_id, info, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7::float8 / 1000))
       ON CONFLICT (domain, app_name, stream_name) DO UPDATE
         SET node_id = excluded.node_id, session_id = excluded.session_id, info = excluded.info, expires_at = excluded.expires_at
         WHERE stream_leases.node_id = excluded.node_id OR stream_leases.expires_at <= now() OR $8::boolean
       RETURNING 1`,
      [c.key.domain, c.key.appName, c.key.streamName, c.nodeId, c.sessionId, JSON.stringify(c.info), c.leaseMs, c.takeover],
    );
    if (won.length > 0) return { ok: true };
    const [holder] = await this.db.query<{ node_id: string }>("SELECT node_id FROM stream_leases WHERE domain = $1 AND app_name = $2 AND stream_name = $3", [
      c.key.domain,
      c.key.appName,
      c.key.streamName,
    ]);
    return { ok: false, holder: holder?.node_id ?? "unknown" };
  }

  async releaseStream(sessionId: string): Promise<void> {
    await this.db.tx(async (q) => {
      await q.query("DELETE FROM stream_leases WHERE session_id = $1", [sessionId]);
      await q.query("DELETE FROM relay_status WHERE session_id = $1", [sessionId]);
    });
  }

  async heartbeat(beat: Heartbeat): Promise<{ lost: string[] }> {
    const n = beat.node;
    return this.db.tx(async (q) => {
      await q.query(
        `INSERT INTO cluster_nodes (id, public_hosts, rtmp_port, srt_port, http_url, heartbeat_at) VALUES ($1, $2, $3, $4, $5, now())
         ON CONFLICT (id) DO UPDATE SET public_hosts = excluded.public_hosts, rtmp_port = excluded.rtmp_port, srt_port = excluded.srt_port,
           http_url = excluded.http_url, heartbeat_at = excluded.heartbeat_at`,
        [n.id, JSON.stringify(n.publicHosts), n.rtmpPort, n.srtPort, n.httpUrl],
      );
      // Every session renewed by one statement: the ones not returned are no longer ours.
      const renewed = await q.query<{ session_id: string }>(
        `UPDATE stream_leases l SET expires_at = now() + make_interval(secs => $2::float8 / 1000), info = s.info
         FROM unnest($3::text[], $4::text[]) AS s(session_id, info)
         WHERE l.session_id = s.session_id AND l.node_id = $1
         RETURNING l.session_id`,
        [n.id, beat.leaseMs, beat.sessions.map((s) => s.sessionId), beat.sessions.map((s) => JSON.stringify(s.info))],
      );
      const kept = new Set(renewed.rows.map((r) => r.session_id));
      const lost = beat.sessions.map((s) => s.sessionId).filter((id) => !kept.has(id));
      const relays = beat.relays.filter((r) => kept.has(r.sessionId));
      await q.query("DELETE FROM relay_status WHERE node_id = $1", [n.id]);
      if (relays.length > 0) {
        await q.query(
          `INSERT INTO relay_status (template_id, domain, session_id, node_id, status, updated_at)
           SELECT t, d, s, $1, st, now() FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS u(t, d, s, st)
           ON CONFLICT (template_id) DO UPDATE SET domain = excluded.domain, session_id = excluded.session_id, node_id = excluded.node_id,
             status = excluded.status, updated_at = excluded.updated_at`,
          [n.id, relays.map((r) => r.status.templateId), relays.map((r) => r.key.domain), relays.map((r) => r.sessionId), relays.map((r) => JSON.stringify(r.status))],
        );
      }
      await q.query("DELETE FROM stream_leases WHERE expires_at < now() - make_interval(secs => $1::float8 / 1000)", [EXPIRED_KEPT_MS]);
      return { lost };
    });
  }

  async listStreams(domain?: string): Promise<StreamLease[]> {
    const rows =
      domain === undefined
        ? await this.db.query<LeaseRow>("SELECT * FROM stream_leases WHERE expires_at > now() ORDER BY domain, app_name, stream_name")
        : await this.db.query<LeaseRow>("SELECT * FROM stream_leases WHERE domain = $1 AND expires_at > now() ORDER BY app_name, stream_name", [domain]);
    return rows.map(toLease);
  }

  async listNodes(aliveMs: number): Promise<NodeRecord[]> {
    return (await this.db.query<NodeRow>("SELECT * FROM cluster_nodes WHERE heartbeat_at > now() - make_interval(secs => $1::float8 / 1000) ORDER BY id", [aliveMs])).map(toNode);
  }

  async listRelayStatus(domain: string): Promise<Map<string, { nodeId: string; status: RelayStatus }>> {
    const rows = await this.db.query<{ template_id: string; node_id: string; status: string }>(
      `SELECT r.template_id, r.node_id, r.status FROM relay_status r JOIN stream_leases l ON l.session_id = r.session_id
       WHERE r.domain = $1 AND l.expires_at > now()`,
      [domain],
    );
    return new Map(rows.map((r) => [r.template_id, { nodeId: r.node_id, status: JSON.parse(r.status) as RelayStatus }]));
  }
}
