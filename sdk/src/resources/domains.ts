import type { RequestOptions, Transport } from "../http";
import { DomainList } from "@liverelay/api";

/** `client.domains`: the domains the service knows (with configuration or a live stream). */
export class Domains {
  constructor(private readonly http: Transport) {}

  async list(options?: RequestOptions): Promise<DomainList> {
    return this.http.json(DomainList, { ...options, method: "GET", path: "/v1/domains" });
  }
}
