import type { ConsoleApi } from "./api.js";
import { el } from "./dom.js";

const EVERY_MS = 3_000;
const SHOWN = 4;

/**
 * The stream's recent snapshots, newest first: the kept list is read every few seconds and each
 * new JPEG fetched once (with the token) and shown through a blob URL; a name never changes.
 */
export class SnapshotStrip {
  readonly element = el("div", { className: "snapshots" }, el("p", { className: "empty" }, "No snapshots (they need a snapshot config for the app)."));
  private images = new Map<string, { url: string; img: HTMLImageElement }>();
  private readonly timer: ReturnType<typeof setInterval>;
  private destroyed = false;

  constructor(
    private readonly api: ConsoleApi,
    private readonly stream: { domain: string; appName: string; streamName: string },
  ) {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), EVERY_MS);
  }

  destroy(): void {
    this.destroyed = true;
    clearInterval(this.timer);
    for (const { url } of this.images.values()) URL.revokeObjectURL(url);
    this.images.clear();
  }

  private async poll(): Promise<void> {
    const { domain, appName, streamName } = this.stream;
    const list = await this.api.snapshots(domain, appName, streamName).catch(() => null);
    if (!list || this.destroyed) return;
    const wanted = list.items.slice(0, SHOWN);
    const next = new Map<string, { url: string; img: HTMLImageElement }>();
    for (const shot of wanted) {
      const known = this.images.get(shot.name);
      if (known) {
        next.set(shot.name, known);
        continue;
      }
      const blob = await this.api.snapshotImage(domain, appName, streamName, shot.name).catch(() => null);
      if (this.destroyed) return;
      if (!blob) continue; // pruned between the list and the fetch
      const url = URL.createObjectURL(blob);
      const img = el("img", { className: "snapshot", title: `snapshot taken ${new Date(shot.takenAt).toLocaleTimeString()}` });
      img.src = url;
      img.alt = "snapshot";
      next.set(shot.name, { url, img });
    }
    for (const [name, { url }] of this.images) if (!next.has(name)) URL.revokeObjectURL(url);
    this.images = next;
    if (next.size > 0) this.element.replaceChildren(...[...next.values()].map((s) => s.img));
  }
}
