import { PAT_PID, TS_PACKET_BYTES, parsePat, parsePmt, readPacketHeader } from "./mpegts";

/**
 * Counts video frames in whole, aligned MPEG-TS packets (what hub readers get): one frame per
 * PES started on the video PID, which holds for ffmpeg's, GStreamer's and hardware encoders'
 * muxers (one access unit per video PES). Before a PAT and PMT have gone by it counts nothing.
 */
export class TsFrameCounter {
  private pmtPid = -1;
  private videoPid = -1;
  frames = 0;

  push(packets: Buffer): void {
    for (let at = 0; at + TS_PACKET_BYTES <= packets.length; at += TS_PACKET_BYTES) {
      if ((packets[at + 1] & 0x40) === 0) continue; // no unit start: neither a PES nor a table begins
      const pid = ((packets[at + 1] & 0x1f) << 8) | packets[at + 2];
      if (pid === this.videoPid) this.frames++;
      else if (pid === PAT_PID || pid === this.pmtPid) this.onTable(packets.subarray(at, at + TS_PACKET_BYTES), pid);
    }
  }

  private onTable(packet: Buffer, pid: number): void {
    const header = readPacketHeader(packet, 0);
    if (pid === PAT_PID) {
      this.pmtPid = parsePat(packet, header) ?? this.pmtPid;
      return;
    }
    const video = parsePmt(packet, header)?.find((s) => s.kind === "video");
    if (video) this.videoPid = video.pid;
  }
}
