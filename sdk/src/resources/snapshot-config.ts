import { segment, type RequestOptions, type Transport } from "../http";
import { SnapshotConfig, SnapshotList, type SnapshotConfigSet } from "@liverelay/api";

const configPath = (domain: string, appName: string) => `/v1/domains/${segment(domain, "domain")}/apps/${segment(appName, "appName")}/snapshot-config`;

/** `client.snapshotConfig`: a JPEG of every live stream of an app every `intervalSeconds`. */
export class SnapshotConfigResource {
  constructor(private readonly http: Transport) {}

  async set(domain: string, appName: string, input: SnapshotConfigSet, options?: RequestOptions): Promise<SnapshotConfig> {
    return this.http.json(SnapshotConfig, { ...options, method: "PUT", path: configPath(domain, appName), body: input });
  }

  /** NotFoundError when the app has no snapshot config. */
  async get(domain: string, appName: string, options?: RequestOptions): Promise<SnapshotConfig> {
    return this.http.json(SnapshotConfig, { ...options, method: "GET", path: configPath(domain, appName) });
  }

  async delete(domain: string, appName: string, options?: RequestOptions): Promise<void> {
    return this.http.empty({ ...options, method: "DELETE", path: configPath(domain, appName) });
  }

  /** The stream's latest JPEG; NotFoundError when none was taken yet. */
  async latest(domain: string, appName: string, streamName: string, options?: RequestOptions): Promise<Buffer> {
    return (await this.http.bytes({ ...options, method: "GET", path: `${streamPath(domain, appName, streamName)}/snapshot.jpg` })).data;
  }

  /** The stream's kept snapshots, newest first (at most the config's `keep`). */
  async list(domain: string, appName: string, streamName: string, options?: RequestOptions): Promise<SnapshotList> {
    return this.http.json(SnapshotList, { ...options, method: "GET", path: `${streamPath(domain, appName, streamName)}/snapshots` });
  }

  /** One kept snapshot by its `name` from `list`; NotFoundError once pruned. */
  async image(domain: string, appName: string, streamName: string, name: string, options?: RequestOptions): Promise<Buffer> {
    return (await this.http.bytes({ ...options, method: "GET", path: `${streamPath(domain, appName, streamName)}/snapshots/${segment(name, "name")}` })).data;
  }
}

const streamPath = (domain: string, appName: string, streamName: string) =>
  `/v1/domains/${segment(domain, "domain")}/streams/${segment(appName, "appName")}/${segment(streamName, "streamName")}`;
