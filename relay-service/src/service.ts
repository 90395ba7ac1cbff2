import type { AddressInfo } from "node:net";
import fs from "node:fs";
import path from "node:path";
import type { Server } from "node:http";
import type { Config } from "./conf/config";
import { prepareDataDir } from "./conf/data-dir";
import { createLogger, type Logger } from "./log/logger";
import { createTokenChecker, resolveApiToken } from "./auth/token";
import { openStore } from "./store/open-store";
import type { Store } from "./store/store";
import { createMetrics } from "./metrics/metrics";
import { createHttpServer } from "./api/http-server";
import { relayTemplateRoutes } from "./api/routes/relay-templates";
import { systemRoutes } from "./api/routes/system";
import { buildOpenApi } from "./api/openapi";
import type { Route } from "./api/route";
import { relayRoutes } from "./api/routes/relays";
import { StreamHub } from "./hub/stream-hub";
import type { LiveStream, StreamKey } from "./hub/live-stream";
import { PublishGate } from "./ingest/publish-gate";
import { createRtmpIngest } from "./ingest/rtmp-ingest";
import { createSrtIngest } from "./ingest/srt-ingest";
import { IngestAuthCache, IngestSettingsCache } from "./ingest/ingest-auth-cache";
import { RelaySupervisor } from "./relay/relay-supervisor";
import { createRelayEngineFactory } from "./relay/engine-factory";
import { createTlsTrust } from "./rtmp/tls-trust";
import { loopClosedBy, selfIngestTarget, type SelfIngest } from "./relay/relay-loops";
import { SelfHosts } from "./relay/self-hosts";
import { registerRelayMetrics } from "./metrics/relay-metrics";
import { registerIngestMetrics } from "./metrics/ingest-metrics";
import { registerMediaMetrics } from "./metrics/media-metrics";
import { mediaRoutes } from "./api/routes/media";
import { startMediaProcessing } from "./processing";
import { EventBus } from "./events/event-bus";
import { ANY_DOMAIN } from "./events/outbox";
import { emitHubEvents } from "./events/hub-events";
import { RefusalEvents } from "./ingest/refusal-events";
import { LiveTail } from "./events/live-tail";
import { WebhookDispatcher } from "./webhooks/dispatcher";
import { FairLimiter } from "./webhooks/fair-limiter";
import { webhookRoutes } from "./api/routes/webhooks";
import { eventRoutes } from "./api/routes/events";
import { domainRoutes } from "./api/routes/domains";
import { consoleRoutes, loadConsoleAssets } from "./api/routes/console";
import { registerWebhookMetrics } from "./metrics/webhook-metrics";
import { registerPlaybackMetrics } from "./metrics/playback-metrics";
import { PlayGate } from "./playback/play-gate";
import { ReaderRegistry } from "./playback/reader-registry";
import { rtmpPlayHandler } from "./playback/rtmp-play";
import { srtReads } from "./playback/srt-read";
import { HlsService } from "./playback/hls/hls-service";
import { openFeed } from "./playback/player-attach";
import { playbackRoutes } from "./api/routes/playback";
import { advertisedHosts, advertisedHttpUrl, resolveNodeId } from "./cluster/node-identity";
import { StreamLeases } from "./cluster/stream-leases";
import { ClusterNode } from "./cluster/cluster-node";
import { ClusterView } from "./cluster/cluster-view";
import { followStoreChanges } from "./cluster/change-follower";

export const VERSION: string = (JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as { version: string }).version;
const SHUTDOWN_GRACE_MS = 4_000;
/** Webhook requests in flight at once, and for one domain: a slow domain holds at most its share. */
const WEBHOOK_CONCURRENCY = 32;
const WEBHOOK_CONCURRENCY_PER_DOMAIN = 4;

export interface RunningService {
  httpUrl: string;
  rtmpUrl: string;
  srtUrl: string;
  stop(): Promise<void>;
}

/** Builds every part from the configuration, binds the listeners, and returns once ready. */
export async function startService(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningService> {
  prepareDataDir(config.dataDir, logger);
  const token = resolveApiToken(config.apiToken, config.dataDir);
  // Where the token is and that we are ready are printed whatever the log level.
  const announce = logger.child({}, { level: "info" });
  if (token.origin !== "configured") announce.info({ tokenFile: token.file }, `API token ${token.origin === "generated" ? "generated and " : ""}stored in ${token.file} (mode 0600)`);
  const tlsTrust = createTlsTrust(config.tlsCaFile); // a bad --tls-ca-file stops the start here
  const store: Store = await openStore({ url: config.store, dataDir: config.dataDir, urlOnCommandLine: config.storeOnCommandLine }, logger);
  const metrics = createMetrics();
  const nodeId = resolveNodeId(config.nodeId, config.dataDir);
  // Several nodes scrape alike: label every series with its node (a lone SQLite node keeps plain names).
  if (store.kind !== "sqlite" || config.nodeId) metrics.registry.setDefaultLabels({ node: nodeId });
  const hub = new StreamHub();
  // Domain events: emitted where things happen, written to the outbox in the same turn.
  const events = new EventBus(store.outbox, logger.child({ component: "events" }));
  events.startRetention();
  emitHubEvents(hub, events); // before any other hub listener: stream.started precedes what it causes
  let ready = false;

  // Data plane: the RTMP and SRT servers feed the hub; the supervisor runs one worker per active relay.
  const ingestAuth = new IngestAuthCache(store);
  await ingestAuth.load();
  const ingestSettings = new IngestSettingsCache(store);
  await ingestSettings.load();
  // Playback: every read authorised by the play gate, counted and bounded by the reader registry.
  const checkToken = createTokenChecker(token.token);
  const playback = registerPlaybackMetrics(metrics.registry, () => readers);
  const readers = new ReaderRegistry({ maxReaders: config.maxReaders, maxReadersPerStream: config.maxReadersPerStream }, playback.refused);
  const players = { readers, onDropped: playback.dropped };
  // A stream another node holds is read there: the gate names the holder and its HTTP address (peers' as last listed).
  const peerHttpUrls = new Map<string, string>();
  const holderOf = (key: StreamKey) => {
    const holder = leases.heldElsewhere(key);
    return holder ? { nodeId: holder, httpUrl: peerHttpUrls.get(holder) || null } : null;
  };
  const playGate = new PlayGate({ hub, ingestAuth, settings: ingestSettings, defaultDomain: config.defaultDomain, checkToken, holderOf, logger: logger.child({ component: "playback" }) });
  const hls = new HlsService({
    readers,
    onDropped: () => playback.dropped("hls"),
    tsSource: (stream) => ({ open: (onPackets, onEnd) => openFeed(stream, "mpegts", "hls-packager", { write: onPackets, queuedBytes: () => 0, end: onEnd }) }),
  });
  const describeStream = (stream: LiveStream) => ({ ...stream.describe(), readers: readers.counts(stream.key) });
  // Who holds each live stream, cluster-wide: the gate refuses from its cache, admitted streams are claimed right after.
  const leases = new StreamLeases({
    store: store.cluster, nodeId, hub, logger: logger.child({ component: "cluster" }),
    mayTakeOver: (domain): boolean => gate.mayTakeOver(domain),
    describe: describeStream,
  });
  leases.start();
  const gate = new PublishGate({
    ingestAuth, settings: ingestSettings, hub, defaultDomain: config.defaultDomain, logger, refusals: new RefusalEvents(events),
    heldElsewhere: (key) => leases.heldElsewhere(key),
  });
  // Everything an unauthenticated peer can make the ingest servers hold is capped; refusals are counted.
  const ingestCounters = registerIngestMetrics(metrics.registry, {
    connections: () => ({ rtmp: rtmp.connectionCount, srt: srt.connectionCount }),
    rtmpBufferedBytes: () => rtmp.bufferedBytes,
  });
  const rtmp = createRtmpIngest({
    host: config.host, port: config.rtmpPort, gate, hub, logger,
    onPlay: rtmpPlayHandler(playGate, players),
    limits: {
      maxConnections: config.maxRtmpConnections, maxBufferedBytes: config.maxRtmpBufferedBytes, maxMessageBytes: config.maxRtmpMessageBytes,
      onRefused: (reason) => ingestCounters.refused("rtmp", reason),
    },
  });
  await rtmp.listen();
  const srt = createSrtIngest({
    host: config.host, port: config.srtPort, gate, hub, defaultDomain: config.defaultDomain, logger,
    reads: srtReads(playGate, { ...players, passphraseOf: (domain) => ingestAuth.get(domain)?.srtPassphrase ?? null, logger: logger.child({ component: "playback" }) }),
    limits: { maxConnections: config.maxSrtConnections, maxPendingHandshakes: config.maxSrtHandshakes, onRefused: (reason) => ingestCounters.refused("srt", reason) },
  });
  await srt.listen();
  // The metrics read the supervisor only when scraped (HTTP is not up yet); it counts into them.
  const relayCounters = registerRelayMetrics(metrics.registry, { supervisor: () => relays, hub });
  let firstNode = true; // no other node known yet
  const self: SelfIngest = { rtmpPort: rtmp.port, srtPort: srt.port, host: config.host, defaultDomain: config.defaultDomain, publicHosts: config.publicHost };
  const selfHosts = new SelfHosts(config.host, config.publicHost);
  const relays = new RelaySupervisor({
    hub,
    runsHere: (stream) => leases.holds(stream),
    // Once per cluster: the holder of a live stream reports its relays; for a stream held nowhere, the first node by id.
    reportsFor: (source) => leases.holdsKey(source) || (leases.heldElsewhere(source) === null && firstNode),
    loadTemplates: () => store.listAllRelayTemplates(),
    engineFactory: createRelayEngineFactory({ engine: config.relayEngine, tlsTrust }),
    self,
    logger: logger.child({ component: "relays" }),
    counters: relayCounters,
    events,
  });
  await relays.start();
  leases.on("change", () => relays.sourcesChanged());
  // Transcoding, snapshots and recording: more readers of the hub, each with its own bounded queue.
  const mediaCounters = registerMediaMetrics(metrics.registry, { supervisor: () => media?.supervisor });
  const media = await startMediaProcessing({ dataDir: config.dataDir, store, nodeId, hub, logger, counters: mediaCounters, events });

  // Consumers of the events: webhooks (deliveries in order per domain, through a fair limiter) and the live tail.
  const tail = new LiveTail(store.outbox, (l) => events.onAppended(l), logger.child({ component: "events" }));
  tail.start();
  const webhooks = new WebhookDispatcher(
    {
      store: store.webhooks,
      outbox: store.outbox,
      limiter: new FairLimiter(WEBHOOK_CONCURRENCY, WEBHOOK_CONCURRENCY_PER_DOMAIN),
      allowPrivate: config.allowPrivateWebhooks,
      userAgent: `liverelay/${VERSION}`,
      logger: logger.child({ component: "webhooks" }),
      counters: registerWebhookMetrics(metrics.registry, { store: store.webhooks, tailClients: () => tail.size }),
    },
    (l) => events.onAppended(l),
  );
  await webhooks.start();

  // Every node acts on every committed write (this node's API also applies its own writes before answering).
  const stopFollowing = followStoreChanges(store.changes, {
    async relayTemplate(domain, id) {
      const template = await store.getRelayTemplate(domain, id);
      relays.templatesChanged(template ? { upserted: template } : { removed: id });
    },
    ingestAuth: (domain) => ingestAuth.refresh(domain),
    ingestSettings: (domain) => ingestSettings.refresh(domain),
    mediaConfigs: () => media.supervisor.configsChanged(),
    webhook: (domain, id) => webhooks.webhookChanged(domain, id),
    eventsAppended: (domain, lastSeq) => events.announce(domain, lastSeq),
    async resync() {
      relays.templatesChanged();
      media.supervisor.configsChanged();
      events.announce(ANY_DOMAIN, 0);
      await Promise.all([ingestAuth.load(), ingestSettings.load(), webhooks.reload()]);
    },
  }, logger.child({ component: "changes" }));

  // Control plane: streams and relay status answered alike on every node.
  const clusterView = new ClusterView({ store: store.cluster, hub, nodeId, holdsLocally: (key) => leases.holdsKey(key), describe: describeStream });
  const routes: Route[] = [
    ...relayTemplateRoutes({
      store,
      maxDestinationsPerDomain: config.maxDestinationsPerDomain,
      onChange: (change) => relays.templatesChanged(change),
      loops: {
        isSelfIngest: (url) => selfIngestTarget(url, self, selfHosts) !== null,
        closedBy: async (candidate) => loopClosedBy(candidate, await store.listAllRelayTemplates(), self, new Date()),
      },
    }),
    ...relayRoutes({
      store, hub, supervisor: relays, cluster: clusterView,
      ingestAuthChanged: (domain) => ingestAuth.refresh(domain), ingestSettingsChanged: (domain) => ingestSettings.refresh(domain),
    }),
    ...playbackRoutes({ ...players, gate: playGate, hls }),
    ...mediaRoutes({ store, paths: media.paths, processing: media.supervisor, onChange: () => media.supervisor.configsChanged() }),
    ...webhookRoutes({ store: store.webhooks, dispatcher: webhooks, allowPrivate: config.allowPrivateWebhooks }),
    ...eventRoutes({ tail }),
    ...domainRoutes({ store, liveStreamDomains: () => clusterView.liveStreamDomains() }),
    ...consoleRoutes(loadConsoleAssets(path.join(__dirname, "console"))), // built by npm run build
  ];
  routes.push(...systemRoutes({ isReady: () => ready && store.isOpen(), metricsRegistry: metrics.registry, openApi: () => buildOpenApi(routes, VERSION) }));
  const http = createHttpServer({ routes, checkToken, logger, metrics });

  const httpUrl = await listen(http, config.host, config.httpPort);
  // Membership: registered with its ingest ports (other nodes' loop checks), leases renewed, relay status published.
  const member = new ClusterNode({
    store: store.cluster,
    node: { id: nodeId, publicHosts: advertisedHosts(config.host, config.publicHost), rtmpPort: rtmp.port, srtPort: srt.port, httpUrl: advertisedHttpUrl(config.host, config.publicHost, (http.address() as AddressInfo).port) },
    leases,
    relays: () => relays.listAll(),
    onPeers: (peers) => {
      self.peers = peers;
      peerHttpUrls.clear();
      for (const p of peers) peerHttpUrls.set(p.id, p.httpUrl);
      firstNode = peers.every((p) => nodeId < p.id);
    },
    logger: logger.child({ component: "cluster" }),
  });
  await member.start();
  ready = true;
  const rtmpUrl = `rtmp://${showHost(config.host)}:${rtmp.port}`;
  const srtUrl = `srt://${showHost(config.host)}:${srt.port}`;
  announce.info({ node: nodeId, http: httpUrl, rtmp: rtmpUrl, rtmpPort: rtmp.port, srt: srtUrl, srtPort: srt.port, version: VERSION }, `liverelay ready: http ${httpUrl}, rtmp ${rtmpUrl}, srt ${srtUrl}`);
  if (config.host !== "127.0.0.1") {
    logger.warn("publishing is open to anyone who can reach the ingest ports, except in domains with ingest auth (PUT /v1/domains/{domain}/ingest-auth)");
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      ready = false;
      stopFollowing();
      logger.info("shutting down: no new publishers or requests, finishing in-flight ones");
      tail.stop(); // live-tail streams never finish on their own
      // Closing the ingest servers ends their publishers' streams (and so the relays' input).
      await Promise.all([rtmp.close(), srt.close(), closeHttp(http)]);
      member.stop();
      hub.closeAll();
      hls.stop();
      await Promise.all([relays.stop(), media.stop(), leases.settled()]); // recorders finalise their files, leases are released, before the store closes
      events.stop();
      await webhooks.stop(); // an attempt cut short stays pending, and is made again at the next start
      await store.close();
      logger.info("stopped");
    })());
  return { httpUrl, rtmpUrl, srtUrl, stop };
}

const showHost = (host: string) => (host.includes(":") ? `[${host}]` : host);

function listen(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const addr = server.address() as AddressInfo;
      const shownHost = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
      resolve(`http://${shownHost}:${addr.port}`);
    });
  });
}

/** Stops accepting, lets in-flight requests finish, then cuts whatever is left. */
function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
