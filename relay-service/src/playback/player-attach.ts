import type { LiveStream } from "../hub/live-stream";
import type { Subscriber } from "../hub/subscriber";
import type { ReadProtocol } from "./play-gate";
import type { ReaderRefusalReason, ReaderRegistry } from "./reader-registry";

export type ReadContainer = "flv" | "mpegts";

/** Where a player's bytes go: an HTTP response, an RTMP play, an SRT socket, an HLS packager. */
export interface PlayerOutput {
  write(chunk: Buffer): void;
  /** Bytes written but not yet sent: past the hub's bound the player is dropped. */
  queuedBytes(): number;
  /** The stream ended or the player fell behind: end the output (it is already detached). */
  end(reason: "ended" | "overflow"): void;
}

/** A reader place taken for one player: attach its output once it is ready, or release it. */
export interface PlayerSlot {
  /** Subscribes the output; returns its detach (idempotent; releases the slot). */
  attach(output: PlayerOutput): () => void;
  release(): void;
}

export type SlotRefusal = ReaderRefusalReason | "unsupported";

export interface PlayerDeps {
  readers: ReaderRegistry;
  onDropped?: (protocol: ReadProtocol) => void;
}

/**
 * Takes a reader place for a player of a live stream, in the container its protocol speaks:
 * refused when the stream cannot be given in that container or a reader limit is reached, so
 * each protocol can say so before it starts its reply. A slow player is dropped like any hub
 * reader (its queue passes the bound) and counted.
 */
export function claimPlayerSlot(deps: PlayerDeps, stream: LiveStream, protocol: ReadProtocol, container: ReadContainer): PlayerSlot | SlotRefusal {
  if (!canRead(stream, container)) return "unsupported";
  const ticket = deps.readers.admit(stream.key, protocol);
  if (typeof ticket === "string") return ticket;
  return {
    release: () => ticket.release(),
    attach(output) {
      let unsubscribe = () => {};
      let done = false;
      const finish = () => {
        if (done) return false;
        done = true;
        unsubscribe();
        ticket.release();
        return true;
      };
      unsubscribe = openFeed(stream, container, `player:${protocol}`, output, (reason) => {
        if (!finish()) return false;
        if (reason === "overflow") deps.onDropped?.(protocol);
        return true;
      });
      if (done) unsubscribe();
      return () => void finish();
    },
  };
}

/**
 * Subscribes an output to the hub's stream in `container` (see canRead). `closing` runs first
 * when the hub closes the reader; the output is ended only when it returns true.
 */
export function openFeed(stream: LiveStream, container: ReadContainer, name: string, output: PlayerOutput, closing: (reason: "ended" | "overflow") => boolean = () => true): () => void {
  const subscriber: Subscriber = {
    name,
    write: (chunk) => output.write(chunk),
    queuedBytes: () => output.queuedBytes(),
    close: (reason) => {
      if (closing(reason)) output.end(reason);
    },
  };
  if (!canRead(stream, container)) throw new Error(`stream cannot be read as ${container}`);
  return stream.subscribe(subscriber);
}

/**
 * Whether the hub can hand this stream out in that container. Today the hub gives each stream
 * in its ingest container (FLV for RTMP, MPEG-TS for SRT).
 */
export function canRead(stream: LiveStream, container: ReadContainer): boolean {
  return stream.container === container;
}

/** A slot refusal as words for the player. */
export function slotRefusalMessage(reason: SlotRefusal): string {
  if (reason === "unsupported") return "this stream cannot be read over this protocol yet (its ingest container differs)";
  return reason === "max-readers" ? "the service has as many players as it allows" : "this stream has as many players as it allows";
}
