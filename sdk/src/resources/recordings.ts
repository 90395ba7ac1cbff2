import { segment, type BinaryResponse, type RequestOptions, type Transport } from "../http";
import { PagePromise } from "../pagination";
import type { RecordingListQuery } from "@liverelay/api";
import { RecordingList, type Recording } from "../responses";

/** Filters and paging of `list`; `limit` is the page size (1–200, default 50). */
export type RecordingListParams = Omit<RecordingListQuery, "limit"> & { limit?: number };
/** The filters of `listAll`, which follows `nextCursor` itself. */
export type RecordingFilters = Omit<RecordingListParams, "cursor">;

export interface DownloadOptions extends RequestOptions {
  /** Bytes `start` to `end` (inclusive; to the end of the file when omitted): a 206 with just those bytes. */
  range?: { start: number; end?: number };
}

const recordingsPath = (domain: string) => `/v1/domains/${segment(domain, "domain")}/recordings`;
const recordingPath = (domain: string, id: string) => `${recordingsPath(domain)}/${segment(id, "id")}`;

/** `client.recordings`: the recording index of a domain and the files. */
export class Recordings {
  constructor(private readonly http: Transport) {}

  /** Oldest first. `await` it for one page, or `for await` over it for every matching recording. */
  list(domain: string, params: RecordingListParams = {}, options?: RequestOptions): PagePromise<Recording> {
    const { appName, streamName, limit, cursor: start } = params;
    const path = recordingsPath(domain);
    const fetchPage = (cursor: string | undefined): Promise<RecordingList> =>
      this.http.json(RecordingList, { ...options, method: "GET", path, query: { appName, streamName, limit, cursor } });
    return new PagePromise(fetchPage, start);
  }

  /** @deprecated Iterate `list()` instead: `for await (const r of client.recordings.list(domain, filters))`. */
  async *listAll(domain: string, filters: RecordingFilters = {}, options?: RequestOptions): AsyncGenerator<Recording, void, undefined> {
    yield* this.list(domain, filters, options);
  }

  /**
   * The recording's file (mp4, flv; for hls the playlist, whose segment URIs are relative to
   * the file URL). Held in memory: use `range` to fetch a large file in parts.
   */
  async download(domain: string, id: string, options: DownloadOptions = {}): Promise<BinaryResponse> {
    const { range, ...rest } = options;
    const headers = range ? { ...rest.headers, range: `bytes=${range.start}-${range.end ?? ""}` } : rest.headers;
    return this.http.bytes({ ...rest, method: "GET", path: `${recordingPath(domain, id)}/file`, headers });
  }

  /** Removes a finished recording and its files; ConflictError while it is being written. */
  async delete(domain: string, id: string, options?: RequestOptions): Promise<void> {
    return this.http.empty({ ...options, method: "DELETE", path: recordingPath(domain, id) });
  }
}
