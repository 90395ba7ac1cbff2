import { el } from "./dom.js";

const EVERY_MS = 5_000;
const KEEP = 4;

/**
 * The stream's recent snapshots, newest first: the latest one is fetched (with the token) every
 * few seconds and added when it changed. The API keeps only the latest, so the strip holds
 * what this page has seen since it opened the stream.
 */
export class SnapshotStrip {
  readonly element = el("div", { className: "snapshots" }, el("p", { className: "empty" }, "No snapshot yet (snapshots need a snapshot config for the app)."));
  private readonly shown: { url: string; bytes: Uint8Array }[] = [];
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly latest: () => Promise<Blob | null>) {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), EVERY_MS);
  }

  private destroyed = false;

  destroy(): void {
    this.destroyed = true;
    clearInterval(this.timer);
    for (const s of this.shown.splice(0)) URL.revokeObjectURL(s.url);
  }

  private async poll(): Promise<void> {
    const blob = await this.latest().catch(() => null);
    if (!blob) return;
    const bytes = new Uint8Array(await blob.arrayBuffer());
    if (this.destroyed) return;
    if (this.shown.length > 0 && sameBytes(this.shown[0].bytes, bytes)) return;
    this.shown.unshift({ url: URL.createObjectURL(new Blob([bytes], { type: "image/jpeg" })), bytes });
    for (const dropped of this.shown.splice(KEEP)) URL.revokeObjectURL(dropped.url);
    this.element.replaceChildren(...this.shown.map((s, i) => {
      const img = el("img", { className: "snapshot", title: i === 0 ? "latest snapshot" : "earlier snapshot" });
      img.src = s.url;
      img.alt = "snapshot";
      return img;
    }));
  }
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);
