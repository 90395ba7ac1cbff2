import crypto from "node:crypto";
import { TimeoutError } from "../errors";
import { paginate } from "../paginate";
import { segment, type RequestOptions, type Transport } from "../http";
import {
  RelayStatus,
  RelayTemplate,
  RelayTemplateList,
  type RelayState,
  type RelayTemplateCreate,
  type RelayTemplateListQuery,
  type RelayTemplatePatch,
} from "@liverelay/api";

/** Filters and paging of `list`; `limit` is the page size (1–200, default 50). */
export type RelayTemplateListParams = Omit<RelayTemplateListQuery, "limit"> & { limit?: number };
/** The filters of `listAll`, which follows `nextCursor` itself. */
export type RelayTemplateFilters = Omit<RelayTemplateListParams, "cursor">;

export interface CreateOptions extends RequestOptions {
  /**
   * Sent as `Idempotency-Key`, so that a retried create (by the SDK or by you, within 24 h)
   * returns the first template instead of a 409. Default: a random UUID per `create` call;
   * pass your own to make retries across processes safe, or `false` to send none (and not retry).
   */
  idempotencyKey?: string | false;
}

export interface WaitForStateOptions extends RequestOptions {
  /** Give up (TimeoutError) after this long. */
  timeoutMs: number;
  /** Time between status polls. Default 1000 ms. */
  intervalMs?: number;
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

  /** One page: `{ items, nextCursor }`; pass `nextCursor` back as `cursor` for the next (null on the last). */
  async list(domain: string, params: RelayTemplateListParams = {}, options?: RequestOptions): Promise<RelayTemplateList> {
    const { appName, streamName, destinationUrl, limit, cursor } = params;
    return this.http.json(RelayTemplateList, {
      ...options,
      method: "GET",
      path: templatesPath(domain),
      query: { appName, streamName, destinationUrl, limit, cursor },
    });
  }

  /** Every matching template, page after page (`limit` is the page size). */
  async *listAll(domain: string, filters: RelayTemplateFilters = {}, options?: RequestOptions): AsyncGenerator<RelayTemplate, void, undefined> {
    yield* paginate((cursor) => this.list(domain, { ...filters, cursor }, options));
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
   * Throws TimeoutError after `timeoutMs`; API errors (NotFoundError…) end the wait at once.
   */
  async waitForState(domain: string, id: string, state: RelayState | RelayState[], options: WaitForStateOptions): Promise<RelayStatus> {
    const { timeoutMs, intervalMs = 1000, ...requestOptions } = options;
    const wanted: RelayState[] = Array.isArray(state) ? state : [state];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.status(domain, id, requestOptions);
      if (wanted.includes(status.state)) return status;
      const left = deadline - Date.now();
      if (left <= 0) {
        // The relay's error message comes last: redaction treats everything after a URL up to a space as part of it.
        const error = status.lastError ? `; last error ${status.lastError.code}: ${status.lastError.message}` : "";
        throw new TimeoutError(
          this.http.scrub(`relay template ${id} did not reach ${wanted.join(" or ")} within ${timeoutMs} ms: state ${status.state}${error}`),
          timeoutMs,
        );
      }
      await this.http.sleep(Math.min(intervalMs, left));
    }
  }
}
