import crypto from "node:crypto";
import { TimeoutError } from "../errors";
import { segment, type RequestOptions, type Transport } from "../http";
import { PagePromise } from "../pagination";
import type { RelayTemplateCreate, RelayTemplateListQuery, RelayTemplatePatch } from "@liverelay/api";
import { RelayStatus, RelayTemplate, RelayTemplateList, type RelayState } from "../responses";

/** Filters and paging of `list`; `limit` is the page size (1–200, default 50). */
export type RelayTemplateListParams = Omit<RelayTemplateListQuery, "limit"> & { limit?: number };
/** The filters of `listAll`, which follows `nextCursor` itself. */
export type RelayTemplateFilters = Omit<RelayTemplateListParams, "cursor">;

export interface CreateOptions extends Omit<RequestOptions, "idempotencyKey"> {
  /**
   * Sent as `Idempotency-Key`, so that a retried create (by the SDK or by you, within 24 h)
   * returns the first template instead of a 409. Default: a random UUID per `create` call;
   * pass your own to make retries across processes safe, or `false` to send none (and not retry).
   */
  idempotencyKey?: string | false;
}

/** `timeoutMs`, `maxRetries` and `headers` apply to each status poll; `signal` to the whole wait. */
export interface WaitForStateOptions extends Omit<RequestOptions, "idempotencyKey"> {
  /** Give up (TimeoutError) after this long, in ms. */
  deadlineMs: number;
  /** Time between status polls. Default 1000 ms. */
  pollIntervalMs?: number;
}

const templatesPath = (domain: string) => `/v1/domains/${segment(domain, "domain")}/relay-templates`;
const templatePath = (domain: string, id: string) => `${templatesPath(domain)}/${segment(id, "id")}`;

/** `client.relayTemplates`: one destination URL for one stream, with an optional time window. */
export class RelayTemplates {
  constructor(private readonly http: Transport) {}

  async create(domain: string, input: RelayTemplateCreate, options: CreateOptions = {}): Promise<RelayTemplate> {
    const { idempotencyKey, ...rest } = options;
    const key = idempotencyKey === false ? undefined : (idempotencyKey ?? crypto.randomUUID());
    return this.http.json(RelayTemplate, { ...rest, method: "POST", path: templatesPath(domain), body: input, idempotencyKey: key });
  }

  async get(domain: string, id: string, options?: RequestOptions): Promise<RelayTemplate> {
    return this.http.json(RelayTemplate, { ...options, method: "GET", path: templatePath(domain, id) });
  }

  /**
   * `await` it for one page (`items`, `nextCursor`, `hasNextPage()`, `getNextPage()`), or
   * `for await (const t of client.relayTemplates.list(domain))` for every matching template,
   * page after page (`limit` is the page size, `cursor` where to start).
   */
  list(domain: string, params: RelayTemplateListParams = {}, options?: RequestOptions): PagePromise<RelayTemplate> {
    const { appName, streamName, destinationUrl, limit, cursor: start } = params;
    const path = templatesPath(domain);
    const fetchPage = (cursor: string | undefined): Promise<RelayTemplateList> =>
      this.http.json(RelayTemplateList, { ...options, method: "GET", path, query: { appName, streamName, destinationUrl, limit, cursor } });
    return new PagePromise(fetchPage, start);
  }

  /** @deprecated Iterate `list()` instead: `for await (const t of client.relayTemplates.list(domain, filters))`. */
  async *listAll(domain: string, filters: RelayTemplateFilters = {}, options?: RequestOptions): AsyncGenerator<RelayTemplate, void, undefined> {
    yield* this.list(domain, filters, options);
  }

  /** Changes the schedule or description; identity fields answer BadRequestError with code ImmutableField. */
  async update(domain: string, id: string, patch: RelayTemplatePatch, options?: RequestOptions): Promise<RelayTemplate> {
    return this.http.json(RelayTemplate, { ...options, method: "PATCH", path: templatePath(domain, id), body: patch });
  }

  async delete(domain: string, id: string, options?: RequestOptions): Promise<void> {
    return this.http.empty({ ...options, method: "DELETE", path: templatePath(domain, id) });
  }

  /** What the template's relay is doing now. */
  async status(domain: string, id: string, options?: RequestOptions): Promise<RelayStatus> {
    return this.http.json(RelayStatus, { ...options, method: "GET", path: `${templatePath(domain, id)}/status` });
  }

  /**
   * Polls `status` until the relay is in `state` (or one of several), and returns that status.
   * Throws TimeoutError after `deadlineMs`, LiveRelayAbortError when `signal` aborts; API errors
   * (NotFoundError…) end the wait at once.
   */
  async waitForState(domain: string, id: string, state: RelayState | RelayState[], options: WaitForStateOptions): Promise<RelayStatus> {
    const { deadlineMs, pollIntervalMs = 1000, ...requestOptions } = options ?? {};
    if (typeof deadlineMs !== "number" || !(deadlineMs >= 0)) {
      // Before 0.2 the deadline was called `timeoutMs`, which now is each poll's own timeout.
      throw new TypeError("waitForState needs options.deadlineMs (a number of ms); timeoutMs is each poll's timeout");
    }
    const wanted: RelayState[] = Array.isArray(state) ? state : [state];
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const status = await this.status(domain, id, requestOptions);
      if (wanted.includes(status.state)) return status;
      const left = deadline - Date.now();
      if (left <= 0) {
        // The relay's error message comes last: redaction treats everything after a URL up to a space as part of it.
        const error = status.lastError ? `; last error ${status.lastError.code}: ${status.lastError.message}` : "";
        throw new TimeoutError(
          this.http.scrub(`relay template ${id} did not reach ${wanted.join(" or ")} within ${deadlineMs} ms: state ${status.state}${error}`),
          deadlineMs,
        );
      }
      await this.http.sleep(Math.min(pollIntervalMs, left), requestOptions.signal);
    }
  }
}
