// The page.evaluate callbacks below run in the browser.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import path from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "../../helpers/browser";
import { killAllSpawned, makeTempDir, runProcess, startFfmpegPublisher, waitFor } from "../../helpers/media";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";

const DOMAIN = "console.example.com";
const INJECTED = `<img id="injected" src="x">`;

describe("operator console in headless Chromium", () => {
  let svc: ServiceHandle;
  let browser: Browser;
  let page: Page;
  const requested: string[] = [];
  const temp = makeTempDir("liverelay-console-");

  beforeAll(async () => {
    svc = await startService();
    const call = apiClient(svc);
    // A relay to a closed port: it retries with ConnectionRefused, which the console must show.
    const created = await call("POST", `/v1/domains/${DOMAIN}/relay-templates`, {
      appName: "live", streamName: "cam", destinationUrl: "rtmp://127.0.0.1:9/sink/secret-stream-key", mode: "always", description: INJECTED,
    });
    expect(created.status).toBe(201);
    expect((await call("PUT", `/v1/domains/${DOMAIN}/apps/live/snapshot-config`, { intervalSeconds: 1, keep: 3 })).status).toBe(200);
    startFfmpegPublisher(`rtmp://127.0.0.1:${String(svc.ready.rtmpPort)}/live/cam?vhost=${DOMAIN}`, { durationSec: 120, size: "320x180", rate: 15 });
    await waitFor(async () => (await call("GET", `/v1/domains/${DOMAIN}/streams`)).body.items.length === 1, { timeoutMs: 20_000, what: "the stream to be live" });
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on("request", (r) => requested.push(r.url()));
  });
  afterAll(async () => {
    await browser?.close();
    killAllSpawned();
    await svc?.stop();
    temp.cleanup();
  });

  it("serves the page without the token, with a strict CSP and revalidation", async () => {
    const res = await page.goto(`${svc.url}/console`);
    expect(res?.status()).toBe(200);
    const headers = res!.headers();
    expect(headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(headers["content-security-policy"]).toContain("script-src 'self'");
    expect(headers["content-security-policy"]).not.toContain("unsafe");
    expect(headers["cache-control"]).toBe("no-cache");
    const script = await fetch(`${svc.url}/console/main.js`);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const etag = script.headers.get("etag")!;
    expect((await fetch(`${svc.url}/console/main.js`, { headers: { "if-none-match": etag } })).status).toBe(304);
    expect((await fetch(`${svc.url}/console/hls.light.min.js`)).status).toBe(200);
    expect((await fetch(`${svc.url}/console/nope.js`)).status).toBe(404);
  });

  it("refuses a wrong token with a visible error", async () => {
    await page.type("#token", "wrong-token-0123456789");
    await page.click("#signin button[type=submit]");
    await page.waitForSelector("#signin-error", { visible: true });
    expect(await text(page, "#signin-error")).toContain("did not accept");
    expect(await page.$("#domains")).not.toBeNull();
    await page.waitForSelector("#domains", { hidden: true, timeout: 2_000 });
  });

  it("signs in and shows the domain, the live stream and its relay with state and last error", async () => {
    await page.$eval("#token", (e) => ((e as HTMLInputElement).value = ""));
    await page.type("#token", svc.token);
    await page.click("#signin button[type=submit]");
    const stream = `section[data-domain="${DOMAIN}"] article[data-stream="live/cam"]`;
    await page.waitForSelector(stream, { visible: true, timeout: 20_000 });
    await page.waitForSelector("#signin", { hidden: true, timeout: 2_000 }); // the form is gone, not just disabled
    await page.waitForSelector("#signin-error", { hidden: true, timeout: 2_000 });
    expect(await text(page, `${stream} .facts`)).toMatch(/RTMP · h264 \+ aac · 320×180/);
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes("ConnectionRefused"), { timeout: 30_000 }, `${stream} .last-error`);
    const row = await page.$eval(`${stream} .relay-table tbody tr`, (tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent));
    expect(row[0]).toBe("rtmp://127.0.0.1:9"); // never the stream key
    expect(["retrying", "error"]).toContain(row[1]);
    expect(row[2]).toMatch(/^\d+(\.\d+)? kbit\/s$/);
    expect(await text(page, `${stream} .last-error`)).toMatch(/^ConnectionRefused: rtmp:\/\/127\.0\.0\.1:9\/sink\/\*\*\*/); // redacted by the service
    // The description (API data with markup) is text, not HTML.
    expect(await page.$("#injected")).toBeNull();
    expect(await page.$eval(`${stream} .relay-table td[title]`, (td) => td.getAttribute("title"))).toBe(INJECTED);
    expect(await page.content()).not.toContain("secret-stream-key");
  });

  it("shows recent snapshots, newest first", async () => {
    const shots = `article[data-stream="live/cam"] img.snapshot`;
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length >= 2, { timeout: 30_000 }, shots);
    const sizes = await page.$$eval(shots, (imgs) =>
      Promise.all(imgs.map(async (img) => {
        const image = img as HTMLImageElement;
        await image.decode();
        return [image.naturalWidth, image.naturalHeight, image.src.startsWith("blob:")];
      })),
    );
    expect(sizes.length).toBeLessThanOrEqual(3); // keep = 3
    for (const size of sizes) expect(size).toEqual([320, 180, true]);
  });

  it("keeps the token out of URLs and localStorage (sessionStorage only)", async () => {
    expect(requested.length).toBeGreaterThan(3);
    for (const url of requested) expect(url).not.toContain(svc.token);
    expect(page.url()).toBe(`${svc.url}/console`);
    const storage = await page.evaluate(() => ({ local: JSON.stringify(localStorage), session: JSON.stringify(sessionStorage), cookie: document.cookie }));
    expect(storage.local).toBe("{}");
    expect(storage.cookie).toBe("");
    expect(storage.session).toContain(svc.token);
    // A reload in the same tab stays signed in; signing out forgets the token.
    await page.reload();
    await page.waitForSelector(`article[data-stream="live/cam"]`, { timeout: 20_000 });
    await page.click("#signout");
    expect(await page.evaluate(() => JSON.stringify(sessionStorage))).toBe("{}");
    await page.waitForSelector("#signin", { visible: true, timeout: 1_000 });
    await page.waitForSelector("#domains", { hidden: true, timeout: 1_000 });
  });

  it("plays the preview: the video advances and its screenshot is not blank", async () => {
    await page.type("#token", svc.token);
    await page.click("#signin button[type=submit]");
    // The stream is published over RTMP: its HLS segments are MPEG-TS muxed from the hub's frames.
    const card = `article[data-stream="live/cam"]`;
    const video = `${card} video`;
    await page.waitForSelector(video, { timeout: 20_000 });
    await page.waitForFunction((sel) => ((document.querySelector(sel) as HTMLVideoElement | null)?.currentTime ?? 0) > 0.5, { timeout: 40_000 }, video);
    const first = await page.$eval(video, (v) => (v as HTMLVideoElement).currentTime);
    await page.waitForFunction((sel, t) => (document.querySelector(sel) as HTMLVideoElement).currentTime > t + 1, { timeout: 20_000 }, video, first);
    const shot = path.join(temp.dir, "preview.png");
    await (await page.$(video))!.screenshot({ path: shot });
    // testsrc2 is bars of saturated colour: a playing preview is far from grey on average, while
    // a blank one (black, or the player's white and grey controls) has no saturation at all.
    const probe = await runProcess("ffprobe", ["-v", "error", "-f", "lavfi", "-i", `movie=${shot},signalstats`, "-show_entries", "frame_tags=lavfi.signalstats.SATAVG,lavfi.signalstats.YMIN,lavfi.signalstats.YMAX", "-of", "json"]);
    const tags = JSON.parse(probe.stdout).frames[0].tags;
    expect(Number(tags["lavfi.signalstats.SATAVG"]), JSON.stringify(tags)).toBeGreaterThan(30);
    expect(Number(tags["lavfi.signalstats.YMAX"]) - Number(tags["lavfi.signalstats.YMIN"])).toBeGreaterThan(100);
  }, 90_000); // ~5 s normally; the waits above allow for a starved machine
});

const text = (page: Page, selector: string) => page.$eval(selector, (e) => e.textContent ?? "");
