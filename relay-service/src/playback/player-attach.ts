import type { Container, LiveStream } from "../hub/live-stream";
import type { Subscriber } from "../hub/subscriber";
import type { ReadProtocol } from "./play-gate";
import type { ReaderRefusalReason, ReaderRegistry } from "./reader-registry";

export type ReadContainer = Container;

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

export type SlotRefusal = ReaderRefusalReason;

export interface PlayerDeps {
  readers: ReaderRegistry;
  onDropped?: (protocol: ReadProtocol) => void;
}

/**
 * Takes a reader place for a player of a live stream, in the container its protocol speaks
 * (whatever the ingest protocol: the hub muxes the other container from frames): refused when a
 * reader limit is reached, so each protocol can say so before it starts its reply. A slow player is dropped like any hub
 * reader (its queue passes the bound) and counted.
 */
export function claimPlayerSlot(deps: PlayerDeps, stream: LiveStream, protocol: ReadProtocol, container: ReadContainer): PlayerSlot | SlotRefusal {
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
 * Subscribes an output to the hub's stream in `container`: its ingest container as it came, or
 * the other one muxed from the stream's frames (once per stream, whoever reads it). `closing` runs first
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
  return stream.subscribe(subscriber, { container });
}

/** A slot refusal as words for the player. */
export function slotRefusalMessage(reason: SlotRefusal): string {
  return reason === "max-readers" ? "the service has as many players as it allows" : "this stream has as many players as it allows";
}
