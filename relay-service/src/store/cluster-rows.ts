import type { NodeRecord, StreamInfo, StreamLease } from "./cluster";

/** Cluster rows as both stores keep them (same column names; JSON as text), mapped to records. */
export interface LeaseRow {
  domain: string;
  app_name: string;
  stream_name: string;
  node_id: string;
  session_id: string;
  info: string;
}

export interface NodeRow {
  id: string;
  public_hosts: string;
  rtmp_port: number;
  srt_port: number;
  http_url: string;
}

export const toLease = (r: LeaseRow): StreamLease => ({
  domain: r.domain,
  appName: r.app_name,
  streamName: r.stream_name,
  nodeId: r.node_id,
  sessionId: r.session_id,
  info: JSON.parse(r.info) as StreamInfo,
});

export const toNode = (r: NodeRow): NodeRecord => ({ id: r.id, publicHosts: JSON.parse(r.public_hosts) as string[], rtmpPort: r.rtmp_port, srtPort: r.srt_port, httpUrl: r.http_url });
