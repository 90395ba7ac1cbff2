import { paginate } from "../paginate";
import { segment, type BinaryResponse, type RequestOptions, type Transport } from "../http";
import { RecordingList, type Recording, type RecordingListQuery } from "@liverelay/api";

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

  /** One page, oldest first: `{ items, nextCursor }`. */
  async list(domain: string, params: RecordingListParams = {}, options?: RequestOptions): Promise<RecordingList> {
    const { appName, streamName, limit, cursor } = params;
    return this.http.json(RecordingList, { ...options, method: "GET", path: recordingsPath(domain), query: { appName, streamName, limit, cursor } });
  }

  /** Every matching recording, page after page. */
  async *listAll(domain: string, filters: RecordingFilters = {}, options?: RequestOptions): AsyncGenerator<Recording, void, undefined> {
    yield* paginate((cursor) => this.list(domain, { ...filters, cursor }, options));
  }

  /**
   * The recording's file (mp4, flv; for hls the playlist, whose segment URIs are relative to
   * the file URL). Held in memory: use `range` to fetch a large file in parts.
   */
  async download(domain: string, id: string, options: DownloadOptions = {}): Promise<BinaryResponse> {
    const { range, ...rest } = options;
    const headers = range ? { range: `bytes=${range.start}-${range.end ?? ""}` } : undefined;
    return this.http.bytes({ ...rest, method: "GET", path: `${recordingPath(domain, id)}/file`, headers });
  }

  /** Removes a finished recording and its files; ConflictError while it is being written. */
  async delete(domain: string, id: string, options?: RequestOptions): Promise<void> {
    return this.http.empty({ ...options, method: "DELETE", path: recordingPath(domain, id) });
  }
}
