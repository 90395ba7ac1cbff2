import { DomainList, type DomainSummary } from "@liverelay/api";
import type { Store } from "../../store/store";
import { defineRoute, type Route } from "../route";

export interface DomainRoutesDeps {
  store: Pick<Store, "listAllRelayTemplates" | "listIngestAuth" | "listIngestSettings" | "listAllTranscodeTemplates" | "listAllSnapshotConfigs" | "listAllRecordingConfigs">;
  /** The domain of every stream live on any node of the cluster (one entry per stream). */
  liveStreamDomains: () => Promise<string[]>;
}

/** `GET /v1/domains`: the domains there is something to see in (the console's first view). */
export function domainRoutes(deps: DomainRoutesDeps): Route[] {
  return [
    defineRoute({
      method: "GET",
      path: "/v1/domains",
      operationId: "listDomains",
      summary: "Every domain with configuration (relay templates, ingest auth or settings, media configs) or a live stream, sorted by name",
      tag: "domains",
      auth: true,
      responses: { 200: { description: "Known domains", schema: DomainList } },
      handle: async () => ({ status: 200, body: { items: await knownDomains(deps) } }),
    }),
  ];
}

/** Domains exist only implicitly (as a key of what is stored or live), so they are gathered from every source. */
async function knownDomains({ store, liveStreamDomains }: DomainRoutesDeps): Promise<DomainSummary[]> {
  const [templates, auth, settings, transcodes, snapshots, recordings, live] = await Promise.all([
    store.listAllRelayTemplates(),
    store.listIngestAuth(),
    store.listIngestSettings(),
    store.listAllTranscodeTemplates(),
    store.listAllSnapshotConfigs(),
    store.listAllRecordingConfigs(),
    liveStreamDomains(),
  ]);
  const byName = new Map<string, DomainSummary>();
  const entry = (domain: string) => byName.get(domain) ?? byName.set(domain, { domain, relayTemplates: 0, liveStreams: 0 }).get(domain)!;
  for (const t of templates) entry(t.domain).relayTemplates++;
  for (const domain of live) entry(domain).liveStreams++;
  for (const r of [...auth, ...settings, ...transcodes, ...snapshots, ...recordings]) entry(r.domain);
  return [...byName.values()].sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
}
