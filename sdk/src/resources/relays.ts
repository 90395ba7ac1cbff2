import { segment, type RequestOptions, type Transport } from "../http";
import { RelayStatusList } from "../responses";

/** `client.relays`: the live state of every relay in a domain. */
export class Relays {
  constructor(private readonly http: Transport) {}

  async list(domain: string, options?: RequestOptions): Promise<RelayStatusList> {
    return this.http.json(RelayStatusList, { ...options, method: "GET", path: `/v1/domains/${segment(domain, "domain")}/relays` });
  }
}
