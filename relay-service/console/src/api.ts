import type { DomainList, LiveStreamList, RelayStatusList, RelayTemplateList, SnapshotList } from "@liverelay/api";

/** An error answer of the API (or no answer at all: status 0). */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const segment = encodeURIComponent;
const streamPath = (domain: string, appName: string, streamName: string) => `/v1/domains/${segment(domain)}/streams/${segment(appName)}/${segment(streamName)}`;

/**
 * The service's API from the page, with the token as a bearer header: never in a URL, so it
 * reaches no access log, history entry or Referer.
 */
export class ConsoleApi {
  constructor(private readonly token: string) {}

  /** The Authorization header value, for hls.js's requests too. */
  get authorization(): string {
    return `Bearer ${this.token}`;
  }

  domains(): Promise<DomainList> {
    return this.json("/v1/domains");
  }

  streams(domain: string): Promise<LiveStreamList> {
    return this.json(`/v1/domains/${segment(domain)}/streams`);
  }

  relays(domain: string): Promise<RelayStatusList> {
    return this.json(`/v1/domains/${segment(domain)}/relays`);
  }

  /** Every template of the domain (its pages followed, at most 1 000 templates). */
  async templates(domain: string): Promise<RelayTemplateList["items"]> {
    const items: RelayTemplateList["items"] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const query: string = cursor ? `&cursor=${segment(cursor)}` : "";
      const body: RelayTemplateList = await this.json(`/v1/domains/${segment(domain)}/relay-templates?limit=100${query}`);
      items.push(...body.items);
      cursor = body.nextCursor;
      if (!cursor) break;
    }
    return items;
  }

  /** The stream's kept snapshots, newest first. */
  snapshots(domain: string, appName: string, streamName: string): Promise<SnapshotList> {
    return this.json(`${streamPath(domain, appName, streamName)}/snapshots`);
  }

  /** One snapshot's JPEG, or null once pruned. */
  async snapshotImage(domain: string, appName: string, streamName: string, name: string): Promise<Blob | null> {
    const res = await this.fetch(`${streamPath(domain, appName, streamName)}/snapshots/${segment(name)}`);
    if (res.status === 404) return null;
    if (!res.ok) throw await failure(res);
    return res.blob();
  }

  private async json<T>(path: string): Promise<T> {
    const res = await this.fetch(path);
    if (!res.ok) throw await failure(res);
    return (await res.json()) as T;
  }

  private async fetch(path: string): Promise<Response> {
    try {
      return await fetch(path, { headers: { authorization: this.authorization, accept: "application/json" }, cache: "no-store", credentials: "omit" });
    } catch (err) {
      throw new ApiFailure(0, "Unreachable", `the service did not answer (${String(err)})`);
    }
  }
}

async function failure(res: Response): Promise<ApiFailure> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    return new ApiFailure(res.status, body.error?.code ?? "Error", body.error?.message ?? res.statusText);
  } catch {
    return new ApiFailure(res.status, "Error", res.statusText || `HTTP ${res.status}`);
  }
}
