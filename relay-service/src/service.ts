import type { AddressInfo } from "node:net";
import fs from "node:fs";
import path from "node:path";
import type { Server } from "node:http";
import type { Config } from "./conf/config";
import { createLogger, type Logger } from "./log/logger";
import { createTokenChecker, resolveApiToken } from "./auth/token";
import { SqliteStore } from "./store/sqlite/sqlite-store";
import type { Store } from "./store/store";
import { createMetrics } from "./metrics/metrics";
import { createHttpServer } from "./api/http-server";
import { relayTemplateRoutes } from "./api/routes/relay-templates";
import { systemRoutes } from "./api/routes/system";
import { buildOpenApi } from "./api/openapi";
import type { Route } from "./api/route";

export const VERSION: string = (JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as { version: string }).version;
const SHUTDOWN_GRACE_MS = 4_000;

export interface RunningService {
  httpUrl: string;
  stop(): Promise<void>;
}

/** Builds every part from the configuration, binds the listeners, and returns once ready. */
export async function startService(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningService> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const token = resolveApiToken(config.apiToken, config.dataDir);
  if (token.origin !== "configured") logger.info({ tokenFile: token.file }, `API token ${token.origin === "generated" ? "generated and " : ""}stored in ${token.file} (mode 0600)`);
  const store: Store = new SqliteStore(path.join(config.dataDir, "liverelay.db"));
  const metrics = createMetrics();
  let ready = false;

  const routes: Route[] = [...relayTemplateRoutes({ store, maxDestinationsPerDomain: config.maxDestinationsPerDomain })];
  routes.push(...systemRoutes({ isReady: () => ready && store.isOpen(), metricsRegistry: metrics.registry, openApi: () => buildOpenApi(routes, VERSION) }));
  const http = createHttpServer({ routes, checkToken: createTokenChecker(token.token), logger, metrics });

  const httpUrl = await listen(http, config.host, config.httpPort);
  ready = true;
  logger.info({ http: httpUrl, rtmpPort: config.rtmpPort, srtPort: config.srtPort, version: VERSION }, `liverelay ready: http ${httpUrl}`);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      ready = false;
      logger.info("shutting down: no new requests, finishing in-flight ones");
      await closeHttp(http);
      await store.close();
      logger.info("stopped");
    })());
  return { httpUrl, stop };
}

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
