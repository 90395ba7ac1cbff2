import { segment, type RequestOptions, type Transport } from "../http";
import { RecordingConfig, type RecordingConfigSet } from "@liverelay/api";

const configPath = (domain: string, appName: string) => `/v1/domains/${segment(domain, "domain")}/apps/${segment(appName, "appName")}/recording-config`;

/** `client.recordingConfig`: record every live stream of an app (mp4, flv or hls). */
export class RecordingConfigResource {
  constructor(private readonly http: Transport) {}

  async set(domain: string, appName: string, input: RecordingConfigSet, options?: RequestOptions): Promise<RecordingConfig> {
    return this.http.json(RecordingConfig, { ...options, method: "PUT", path: configPath(domain, appName), body: input });
  }

  /** NotFoundError when the app has no recording config. */
  async get(domain: string, appName: string, options?: RequestOptions): Promise<RecordingConfig> {
    return this.http.json(RecordingConfig, { ...options, method: "GET", path: configPath(domain, appName) });
  }

  /** Running recorders close their files; recordings stay. */
  async delete(domain: string, appName: string, options?: RequestOptions): Promise<void> {
    return this.http.empty({ ...options, method: "DELETE", path: configPath(domain, appName) });
  }
}
