import { streamKeyString, type StreamKey } from "../hub/live-stream";
import { READ_PROTOCOLS, type ReadProtocol } from "./play-gate";

export type ReaderCounts = Record<ReadProtocol, number>;
export type ReaderRefusalReason = "max-readers" | "max-readers-per-stream";

export interface ReaderLimits {
  /** Players at once, every stream and protocol together. */
  maxReaders: number;
  /** Players of one stream at once. */
  maxReadersPerStream: number;
}

export const DEFAULT_READER_LIMITS: ReaderLimits = { maxReaders: 1000, maxReadersPerStream: 200 };

/** One admitted player: released exactly once, when it leaves or is dropped. */
export interface ReaderTicket {
  release(): void;
}

const zeroCounts = (): ReaderCounts => ({ rtmp: 0, flv: 0, hls: 0, srt: 0 });

/**
 * Every player reading now, by stream and protocol: bounds them (an unauthenticated peer of
 * an open domain can hold at most `maxReaders` readers' queues) and counts them for the
 * streams API and /metrics.
 */
export class ReaderRegistry {
  private readonly byStream = new Map<string, ReaderCounts>();
  private readonly totals = zeroCounts();
  private total = 0;

  constructor(
    private readonly limits: ReaderLimits = DEFAULT_READER_LIMITS,
    private readonly onRefused: (protocol: ReadProtocol, reason: ReaderRefusalReason) => void = () => {},
  ) {}

  /** Why one more player of the stream would be refused, or null (nothing is taken). */
  wouldRefuse(key: StreamKey): ReaderRefusalReason | null {
    const counts = this.byStream.get(streamKeyString(key));
    if (this.total >= this.limits.maxReaders) return "max-readers";
    return counts && sum(counts) >= this.limits.maxReadersPerStream ? "max-readers-per-stream" : null;
  }

  /** A ticket, or why the player is refused (counted). */
  admit(key: StreamKey, protocol: ReadProtocol): ReaderTicket | ReaderRefusalReason {
    const id = streamKeyString(key);
    const counts = this.byStream.get(id) ?? zeroCounts();
    const refusal = this.wouldRefuse(key);
    if (refusal) {
      this.onRefused(protocol, refusal);
      return refusal;
    }
    counts[protocol]++;
    this.byStream.set(id, counts);
    this.totals[protocol]++;
    this.total++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        counts[protocol]--;
        this.totals[protocol]--;
        this.total--;
        if (sum(counts) === 0 && this.byStream.get(id) === counts) this.byStream.delete(id);
      },
    };
  }

  counts(key: StreamKey): ReaderCounts {
    return { ...(this.byStream.get(streamKeyString(key)) ?? zeroCounts()) };
  }

  /** Readers now by protocol, every stream together (metrics). */
  totalsByProtocol(): ReaderCounts {
    return { ...this.totals };
  }
}

const sum = (c: ReaderCounts) => READ_PROTOCOLS.reduce((n, p) => n + c[p], 0);
