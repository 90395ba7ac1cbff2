import { segment, type RequestOptions, type Transport } from "../http";
import { Quota } from "@liverelay/api";

/** `client.quota`: destination URLs used and allowed in a domain. */
export class QuotaResource {
  constructor(private readonly http: Transport) {}

  async get(domain: string, options?: RequestOptions): Promise<Quota> {
    return this.http.json(Quota, { ...options, method: "GET", path: `/v1/domains/${segment(domain, "domain")}/quota` });
  }
}
