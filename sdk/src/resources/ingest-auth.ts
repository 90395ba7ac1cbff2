import { segment, type RequestOptions, type Transport } from "../http";
import { IngestAuth, type IngestAuthSet } from "@liverelay/api";

const path = (domain: string) => `/v1/domains/${segment(domain, "domain")}/ingest-auth`;

/** `client.ingestAuth`: the publish key of a domain. The key is write-only: never returned, never in an error. */
export class IngestAuthResource {
  constructor(private readonly http: Transport) {}

  /** Requires publishers to present `key` (and `srtPassphrase` for SRT, when set). */
  async set(domain: string, input: IngestAuthSet, options?: RequestOptions): Promise<IngestAuth> {
    return this.http.json(IngestAuth, { ...options, method: "PUT", path: path(domain), body: input });
  }

  async get(domain: string, options?: RequestOptions): Promise<IngestAuth> {
    return this.http.json(IngestAuth, { ...options, method: "GET", path: path(domain) });
  }

  /** Lets anyone publish to the domain again. */
  async delete(domain: string, options?: RequestOptions): Promise<void> {
    return this.http.empty({ ...options, method: "DELETE", path: path(domain) });
  }
}
