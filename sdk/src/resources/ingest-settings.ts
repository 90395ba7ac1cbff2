import { segment, type RequestOptions, type Transport } from "../http";
import { IngestSettings, type IngestSettingsSet } from "@liverelay/api";

const path = (domain: string) => `/v1/domains/${segment(domain, "domain")}/ingest-settings`;

/** `client.ingestSettings`: how a domain treats publishers. A domain never configured has the defaults (every setting off). */
export class IngestSettingsResource {
  constructor(private readonly http: Transport) {}

  /** `publisherTakeover`: a new authenticated publish of a live key ends the old publishing session. */
  async set(domain: string, input: IngestSettingsSet, options?: RequestOptions): Promise<IngestSettings> {
    return this.http.json(IngestSettings, { ...options, method: "PUT", path: path(domain), body: input });
  }

  async get(domain: string, options?: RequestOptions): Promise<IngestSettings> {
    return this.http.json(IngestSettings, { ...options, method: "GET", path: path(domain) });
  }
}
