import { el, setChildren } from "./dom.js";

const RETRY_MS = 3_000;

/** Where the service serves a live stream as HLS (the token goes in a header, never here). */
export const hlsUrl = (domain: string, appName: string, streamName: string) =>
  `/live/${encodeURIComponent(domain)}/${encodeURIComponent(appName)}/${encodeURIComponent(streamName)}.m3u8`;

/**
 * A muted, playing preview of one live stream: hls.js fetches the playlist and segments with the
 * token in an Authorization header and feeds the <video> through Media Source Extensions. A
 * playlist not there yet (the first segment is still being cut) or a fatal error is retried.
 */
export class Preview {
  readonly element: HTMLElement;
  private readonly video = el("video", { className: "preview-video" });
  private readonly status = el("p", { className: "preview-status" }, "loading…");
  private hls: InstanceType<typeof Hls> | null = null;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private destroyed = false;

  constructor(
    private readonly url: string,
    private readonly authorization: string,
  ) {
    this.video.muted = true;
    this.video.autoplay = true;
    this.video.playsInline = true;
    this.video.controls = true;
    this.element = el("div", { className: "preview" }, this.video, this.status);
    this.start();
  }

  destroy(): void {
    this.destroyed = true;
    clearTimeout(this.retry);
    this.hls?.destroy();
    this.hls = null;
  }

  private start(): void {
    if (this.destroyed) return;
    if (!Hls.isSupported()) return this.show("this browser cannot play HLS through Media Source Extensions");
    const authorization = this.authorization;
    const hls = new Hls({
      enableWorker: false, // a worker would need a blob: script, which the page's CSP does not allow
      lowLatencyMode: true,
      manifestLoadingMaxRetry: 2,
      xhrSetup: (xhr) => xhr.setRequestHeader("authorization", authorization),
    });
    this.hls = hls;
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      this.show("");
      void this.video.play().catch(() => this.show("press play to start the preview"));
    });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      const status = data.response?.code;
      this.show(`preview unavailable${status ? ` (HTTP ${status})` : ""}: ${serviceReason(data.networkDetails) ?? data.details}; retrying`);
      hls.destroy();
      this.hls = null;
      this.retry = setTimeout(() => this.start(), RETRY_MS);
    });
    hls.loadSource(this.url);
    hls.attachMedia(this.video);
  }

  private show(text: string): void {
    setChildren(this.status, text);
    this.status.hidden = text === "";
  }
}

/** The service's own error message, when the failed request was answered with one. */
function serviceReason(details: unknown): string | undefined {
  if (!(details instanceof XMLHttpRequest) || (details.responseType !== "" && details.responseType !== "text")) return undefined;
  try {
    const body = JSON.parse(details.responseText) as { error?: { message?: unknown } };
    return typeof body.error?.message === "string" ? body.error.message : undefined;
  } catch {
    return undefined;
  }
}
