import { DomainParams, ErrorBody, IngestAuth, IngestAuthSet, IngestSettings, IngestSettingsSet, LiveStreamList, RelayStatus, RelayStatusList, TemplateParams } from "@liverelay/api";
import type { RelaySupervisor } from "../../relay/relay-supervisor";
import type { StreamHub } from "../../hub/stream-hub";
import type { Store } from "../../store/store";
import type { ClusterView } from "../../cluster/cluster-view";
import { notFound } from "../errors";
import { defineRoute, type Route } from "../route";

export interface RelayRoutesDeps {
  store: Store;
  hub: StreamHub;
  supervisor: RelaySupervisor;
  /** Awaited after every ingest-auth write, so the answer means the publish gate applies it. */
  ingestAuthChanged: (domain: string) => Promise<void>;
  /** Awaited after every ingest-settings write, likewise. */
  ingestSettingsChanged: (domain: string) => Promise<void>;
  /** Streams and relay status of every node of the cluster. */
  cluster: ClusterView;
}

const errors = {
  400: { description: "Invalid request", schema: ErrorBody },
  401: { description: "Missing or invalid bearer token", schema: ErrorBody },
};

/** What is live and what each relay is doing, plus the per-domain ingest credentials. */
export function relayRoutes(deps: RelayRoutesDeps): Route[] {
  return [
    defineRoute({
      method: "GET",
      path: "/v1/domains/:domain/relay-templates/:id/status",
      operationId: "getRelayStatus",
      summary: "What one template's relay is doing now",
      tag: "relays",
      auth: true,
      params: TemplateParams,
      responses: { 200: { description: "Relay status", schema: RelayStatus }, ...errors, 404: { description: "No such template", schema: ErrorBody } },
      async handle({ params }) {
        await deps.supervisor.settled(); // a template created a moment ago has a status too
        const entry = deps.supervisor.entry(params.domain, params.id);
        if (!entry) throw notFound(`relay template ${params.id} does not exist in this domain`);
        const [status] = await deps.cluster.relays(params.domain, [entry]);
        return { status: 200, body: status };
      },
    }),
    defineRoute({
      method: "GET",
      path: "/v1/domains/:domain/relays",
      operationId: "listRelays",
      summary: "Status of every relay of a domain",
      tag: "relays",
      auth: true,
      params: DomainParams,
      responses: { 200: { description: "Relay statuses", schema: RelayStatusList }, ...errors },
      handle: async ({ params }) => ({ status: 200, body: { items: await deps.cluster.relays(params.domain, deps.supervisor.listAll(params.domain)) } }),
    }),
    defineRoute({
      method: "GET",
      path: "/v1/domains/:domain/streams",
      operationId: "listStreams",
      summary: "Streams live in a domain now",
      tag: "streams",
      auth: true,
      params: DomainParams,
      responses: { 200: { description: "Live streams", schema: LiveStreamList }, ...errors },
      handle: async ({ params }) => ({ status: 200, body: { items: await deps.cluster.streams(params.domain) } }),
    }),
    ...ingestAuthRoutes(deps.store, deps.ingestAuthChanged),
    ...ingestSettingsRoutes(deps.store, deps.ingestSettingsChanged),
  ];
}

/** Per-domain publishing behaviour. Every domain has settings: one never configured has the defaults. */
function ingestSettingsRoutes(store: Store, changed: (domain: string) => Promise<void>): Route[] {
  const path = "/v1/domains/:domain/ingest-settings";
  const view = (domain: string, r: { publisherTakeover: boolean; openPlayback: boolean; updatedAt: string } | null) => ({
    domain,
    publisherTakeover: r?.publisherTakeover ?? false,
    openPlayback: r?.openPlayback ?? false,
    updatedAt: r?.updatedAt ?? null,
  });
  return [
    defineRoute({
      method: "PUT",
      path,
      operationId: "setIngestSettings",
      summary: "Set how the domain treats publishers and players (publisher takeover, open playback)",
      tag: "ingest-auth",
      auth: true,
      params: DomainParams,
      body: IngestSettingsSet,
      responses: { 200: { description: "The settings now in force", schema: IngestSettings }, ...errors },
      async handle({ params, body }) {
        const record = { domain: params.domain, publisherTakeover: body.publisherTakeover, openPlayback: body.openPlayback, updatedAt: new Date().toISOString() };
        await store.setIngestSettings(record);
        await changed(params.domain);
        return { status: 200, body: view(params.domain, record) };
      },
    }),
    defineRoute({
      method: "GET",
      path,
      operationId: "getIngestSettings",
      summary: "How the domain treats publishers (the defaults when never set)",
      tag: "ingest-auth",
      auth: true,
      params: DomainParams,
      responses: { 200: { description: "Ingest settings", schema: IngestSettings }, ...errors },
      handle: async ({ params }) => ({ status: 200, body: view(params.domain, await store.getIngestSettings(params.domain)) }),
    }),
  ];
}

function ingestAuthRoutes(store: Store, changed: (domain: string) => Promise<void>): Route[] {
  const path = "/v1/domains/:domain/ingest-auth";
  const view = (domain: string, r: { srtPassphrase: string | null; playKey: string | null; updatedAt: string } | null) => ({
    domain,
    enabled: r !== null,
    srtPassphraseSet: r?.srtPassphrase != null,
    playKeySet: r?.playKey != null,
    updatedAt: r?.updatedAt ?? null,
  });
  return [
    defineRoute({
      method: "PUT",
      path,
      operationId: "setIngestAuth",
      summary: "Require signed publish URLs (auth_key), optionally an SRT passphrase, and a play key for signed playback URLs",
      tag: "ingest-auth",
      auth: true,
      params: DomainParams,
      body: IngestAuthSet,
      responses: { 200: { description: "Ingest auth is on", schema: IngestAuth }, ...errors },
      async handle({ params, body }) {
        const record = { domain: params.domain, key: body.key, srtPassphrase: body.srtPassphrase ?? null, playKey: body.playKey ?? null, updatedAt: new Date().toISOString() };
        await store.setIngestAuth(record);
        await changed(params.domain);
        return { status: 200, body: view(params.domain, record) };
      },
    }),
    defineRoute({
      method: "GET",
      path,
      operationId: "getIngestAuth",
      summary: "Whether publishing needs a signature (the key is never returned)",
      tag: "ingest-auth",
      auth: true,
      params: DomainParams,
      responses: { 200: { description: "Ingest auth settings", schema: IngestAuth }, ...errors },
      handle: async ({ params }) => ({ status: 200, body: view(params.domain, await store.getIngestAuth(params.domain)) }),
    }),
    defineRoute({
      method: "DELETE",
      path,
      operationId: "deleteIngestAuth",
      summary: "Turn ingest auth off: publishing to the domain becomes open",
      tag: "ingest-auth",
      auth: true,
      params: DomainParams,
      responses: { 204: { description: "Ingest auth is off" }, ...errors },
      async handle({ params }) {
        await store.deleteIngestAuth(params.domain);
        await changed(params.domain);
        return { status: 204 };
      },
    }),
  ];
}
