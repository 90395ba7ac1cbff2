import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signAuthKey } from "../../../relay-service/src/ingest/url-signing";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { freePort, pidsMatching, publishRtmp, rtmpDestination, tmpDir, waitFor } from "../../helpers/relay";

const DOMAIN = "secure.example.com";
const KEY = "ingest-signing-key-0123456789";

describe("ingest auth (type A URL signing)", () => {
  let svc: ServiceHandle;
  let call: ReturnType<typeof apiClient>;
  let ingest: string;
  beforeAll(async () => {
    svc = await startService();
    call = apiClient(svc);
    ingest = `rtmp://127.0.0.1:${svc.ready.rtmpPort}`;
  });
  afterAll(() => svc?.stop());

  const live = async () => (await call("GET", `/v1/domains/${DOMAIN}/streams`)).body.items as { streamName: string }[];

  it("is configured per domain and never returns the key", async () => {
    expect((await call("GET", `/v1/domains/${DOMAIN}/ingest-auth`)).body).toMatchObject({ enabled: false });
    const set = await call("PUT", `/v1/domains/${DOMAIN}/ingest-auth`, { key: KEY });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ domain: DOMAIN, enabled: true, srtPassphraseSet: false });
    expect(JSON.stringify(set.body)).not.toContain(KEY);
    expect((await call("PUT", `/v1/domains/${DOMAIN}/ingest-auth`, { key: "short" })).status).toBe(400);
  });

  it.each([
    ["missing", () => ""],
    ["expired", () => `?auth_key=${signAuthKey({ appName: "live", streamName: "show", key: KEY, expiresAt: new Date(Date.now() - 60_000) })}`],
    ["wrong key", () => `?auth_key=${signAuthKey({ appName: "live", streamName: "show", key: "not-the-key-0123456789", expiresAt: new Date(Date.now() + 600_000) })}`],
    ["signed for another stream", () => `?auth_key=${signAuthKey({ appName: "live", streamName: "other", key: KEY, expiresAt: new Date(Date.now() + 600_000) })}`],
    ["malformed", () => "?auth_key=garbage"],
  ])("refuses a publish with a %s auth_key before any byte is relayed", async (_l, query) => {
    const sep = query() ? "&" : "?";
    const pub = publishRtmp(`${ingest}/live/show${query()}${sep}vhost=${DOMAIN}`, { seconds: 3 });
    expect(await pub.exited).not.toBe(0);
    expect(await live()).toEqual([]);
  });

  it("accepts a valid signature", async () => {
    const authKey = signAuthKey({ appName: "live", streamName: "show", key: KEY, expiresAt: new Date(Date.now() + 600_000) });
    const pub = publishRtmp(`${ingest}/live/show?auth_key=${authKey}&vhost=${DOMAIN}`, { seconds: 3 });
    await waitFor("stream live", async () => (await live()).length === 1);
    expect(await pub.exited).toBe(0);
    expect(svc.output.join("\n")).not.toContain(authKey);
  });

  it("DELETE turns it off: publishing is open again", async () => {
    expect((await call("DELETE", `/v1/domains/${DOMAIN}/ingest-auth`)).status).toBe(204);
    const pub = publishRtmp(`${ingest}/live/open?vhost=${DOMAIN}`, { seconds: 2 });
    expect(await pub.exited).toBe(0);
  });
});

describe("no orphaned ffmpeg", () => {
  it("after SIGKILL of the service, its relay workers exit too (--relay-engine ffmpeg)", async () => {
    const svc = await startService({ args: ["--relay-engine", "ffmpeg"] });
    const call = apiClient(svc);
    const port = await freePort();
    const dest = rtmpDestination(port, path.join(tmpDir(), "orphan.flv"), "orphan/marker");
    const created = await call("POST", "/v1/domains/default/relay-templates", { appName: "live", streamName: "orphan", destinationUrl: dest.url, mode: "always" });
    const pub = publishRtmp(`rtmp://127.0.0.1:${svc.ready.rtmpPort}/live/orphan`, { seconds: 60 });
    await waitFor("relaying", async () => (await call("GET", `/v1/domains/default/relay-templates/${created.body.id}/status`)).body.state === "relaying");
    const workerPids = pidsMatching(`-i pipe:0`).filter((pid) => pidsMatching(`127.0.0.1:${port}/orphan/marker`).includes(pid));
    expect(workerPids.length).toBeGreaterThan(0);
    await svc.kill();
    await waitFor("workers gone", () => workerPids.every((pid) => !pidsMatching("-i pipe:0").includes(pid)), 5_000);
    await pub.kill();
    await dest.kill();
  });
});
