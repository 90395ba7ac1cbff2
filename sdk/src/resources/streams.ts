import { segment, type RequestOptions, type Transport } from "../http";
import { LiveStreamList } from "../responses";

/** `client.streams`: the streams being published to a domain right now. */
export class Streams {
  constructor(private readonly http: Transport) {}

  async list(domain: string, options?: RequestOptions): Promise<LiveStreamList> {
    return this.http.json(LiveStreamList, { ...options, method: "GET", path: `/v1/domains/${segment(domain, "domain")}/streams` });
  }
}
