import type { Logger } from "pino";
import type { SrtAcceptDecision, SrtConnection } from "../srt";
import type { PublishTarget } from "../ingest/stream-identity";
import type { SrtReads } from "../ingest/srt-ingest";
import type { PlayGate, PlayRefusalCode } from "./play-gate";
import { claimPlayerSlot, type PlayerDeps } from "./player-attach";

const REJECT: Record<PlayRefusalCode, Extract<SrtAcceptDecision, { accept: false }>["reason"]> = {
  BadRequest: "BadRequest",
  Unauthorized: "Unauthorized",
  Forbidden: "Forbidden",
  NotFound: "NotFound",
};

/**
 * SRT read: `#!::h=domain,r=app/stream?auth_key=…,m=request` on the ingest port. Decided in
 * libsrt's listen callback (synchronously: gate and reader room; the domain's SRT
 * passphrase applies to players too), fed with the hub's MPEG-TS once the connection arrives.
 */
export function srtReads(gate: PlayGate, deps: PlayerDeps & { passphraseOf: (domain: string) => string | null; logger: Logger }): SrtReads {
  const admit = (target: PublishTarget) => gate.admitTarget(target, "srt", { authKey: target.query.get("auth_key") });
  return {
    authorize(target) {
      const admission = admit(target);
      if (!admission.ok) return { accept: false, reason: REJECT[admission.code] };
      if (deps.readers.wouldRefuse(admission.stream.key)) return { accept: false, reason: "Overloaded" };
      const passphrase = deps.passphraseOf(admission.stream.key.domain);
      return passphrase ? { accept: true, passphrase } : { accept: true };
    },
    connect(conn: SrtConnection, target: PublishTarget) {
      const admission = admit(target);
      const slot = admission.ok ? claimPlayerSlot(deps, admission.stream, "srt", "mpegts") : null;
      if (!admission.ok || !slot || typeof slot === "string") {
        deps.logger.info({ srtConnection: conn.id, reason: admission.ok ? slot : admission.code }, "srt reader closed: refused once connected");
        conn.close();
        return;
      }
      const detach = slot.attach({
        write: (chunk) => void (conn.send(chunk) || conn.close()),
        queuedBytes: () => conn.queuedBytes(),
        end: () => conn.close(),
      });
      conn.on("close", detach);
      deps.logger.info({ srtConnection: conn.id, ...admission.stream.key }, "srt read started");
    },
  };
}
