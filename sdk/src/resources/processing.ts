import { segment, type RequestOptions, type Transport } from "../http";
import { ProcessingList } from "@liverelay/api";

/** `client.processing`: what the transcoders, snapshotters and recorders of live streams are doing. */
export class Processing {
  constructor(private readonly http: Transport) {}

  /** Every media worker of the domain's live streams. */
  async list(domain: string, options?: RequestOptions): Promise<ProcessingList> {
    return this.http.json(ProcessingList, { ...options, method: "GET", path: `/v1/domains/${segment(domain, "domain")}/processing` });
  }

  /** The media workers of one stream (no items while it is not live). */
  async forStream(domain: string, appName: string, streamName: string, options?: RequestOptions): Promise<ProcessingList> {
    const path = `/v1/domains/${segment(domain, "domain")}/streams/${segment(appName, "appName")}/${segment(streamName, "streamName")}/processing`;
    return this.http.json(ProcessingList, { ...options, method: "GET", path });
  }
}
