import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";
import { expectDecodableMonotonic, freePort, pidsMatching, publishRtmp, rtmpDestination, tmpDir, waitFor } from "../../helpers/relay";
import { makeTestCa, startNginxRtmp, startStunnel, type NginxRtmp, type TestCa } from "../../helpers/nginx-rtmp";

const DOMAIN = "push.example.com";

describe("in-process RTMP push (the default engine) to real servers", () => {
  let svc: ServiceHandle;
  let call: ReturnType<typeof apiClient>;
  let ingest: string;
  let nginx: NginxRtmp;
  let ca: TestCa;
  const dir = tmpDir();

  beforeAll(async () => {
    ca = makeTestCa();
    nginx = await startNginxRtmp();
    svc = await startService({ args: ["--tls-ca-file", ca.caFile] });
    call = apiClient(svc);
    ingest = `rtmp://127.0.0.1:${svc.ready.rtmpPort}`;
  });
  afterAll(async () => {
    await svc?.stop();
    await nginx?.stop();
  });

  const createTemplate = async (streamName: string, destinationUrl: string) => {
    const res = await call("POST", `/v1/domains/${DOMAIN}/relay-templates`, { appName: "live", streamName, destinationUrl, mode: "always" });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const status = async (id: string) => (await call("GET", `/v1/domains/${DOMAIN}/relay-templates/${id}/status`)).body;
  const waitState = (id: string, state: string, timeoutMs = 20_000) =>
    waitFor(`state ${state}`, async () => {
      const s = await status(id);
      return s.state === state && s;
    }, timeoutMs);

  it("nginx-rtmp accepts the publish (stream key with a query string); what arrives decodes, timestamps monotonic; stats come from the engine", async () => {
    const id = await createTemplate("nginx", `${nginx.rtmpUrl}/sink/secretkey1?token=abc&s_bl=1`);
    const pub = publishRtmp(`${ingest}/live/nginx?vhost=${DOMAIN}`, { seconds: 6 });
    await waitState(id, "relaying");
    const live = await waitFor("stats", async () => {
      const s = await status(id);
      return s.fps > 0 && s.bitrateKbps > 0 && s;
    });
    expect(live.fps).toBeGreaterThan(10);
    expect((await nginx.streams()).has("secretkey1")).toBe(true);
    expect(pidsMatching("secretkey1")).toEqual([]); // no process holds the key on its command line
    expect(await pub.exited).toBe(0);
    await waitState(id, "waiting");
    expect((await status(id)).bytesOut).toBeGreaterThan(100_000);
    await waitFor("nginx closed the recording", async () => !(await nginx.streams()).has("secretkey1"));
    expectDecodableMonotonic(path.join(nginx.recordDir, "secretkey1.flv"), 4);
  });

  it("ffmpeg -listen 1 accepts it too", async () => {
    const dest = rtmpDestination(await freePort(), path.join(dir, "ffmpeg.flv"));
    const id = await createTemplate("ffmpeg", dest.url);
    const pub = publishRtmp(`${ingest}/live/ffmpeg?vhost=${DOMAIN}`, { seconds: 6 });
    await waitState(id, "relaying");
    await pub.exited;
    await dest.exited;
    // a listener still starting refuses the first attempt (the retry comes 1–2 s later)
    expectDecodableMonotonic(dest.file, 2.5);
  });

  it("rtmps:// through stunnel with a CA trusted via --tls-ca-file: relays, and what arrives decodes", async () => {
    const tunnel = await startStunnel(nginx.rtmpPort, ca);
    try {
      const id = await createTemplate("tls", `rtmps://localhost:${tunnel.port}/sink/tlskey`);
      const pub = publishRtmp(`${ingest}/live/tls?vhost=${DOMAIN}`, { seconds: 5 });
      await waitState(id, "relaying");
      await pub.exited;
      await waitState(id, "waiting");
      await waitFor("nginx closed the recording", async () => !(await nginx.streams()).has("tlskey"));
      expectDecodableMonotonic(path.join(nginx.recordDir, "tlskey.flv"), 3);
    } finally {
      await tunnel.kill();
    }
  });

  it("recovers after a destination outage: media arrives again within a few seconds of the destination's return", async () => {
    const outage = await startNginxRtmp({ record: false });
    const id = await createTemplate("outage", `${outage.rtmpUrl}/sink/outagekey`);
    const pub = publishRtmp(`${ingest}/live/outage?vhost=${DOMAIN}`, { seconds: 60 });
    let back: NginxRtmp | undefined;
    try {
      await waitState(id, "relaying");
      await outage.stop();
      await waitFor("retrying", async () => (await status(id)).state === "retrying");
      await new Promise((r) => setTimeout(r, 5_000));
      back = await startNginxRtmp({ record: false, rtmpPort: outage.rtmpPort });
      const t0 = Date.now();
      await waitFor("media at the destination again", async () => ((await back!.streams()).get("outagekey")?.bytesIn ?? 0) > 50_000, 20_000, 100);
      const recoveryMs = Date.now() - t0;
      console.log(`recovery after a 5 s outage: ${recoveryMs} ms`);
      expect(recoveryMs).toBeLessThan(10_000); // 1–2 s retries: ~2 s on a quiet machine; generous under contention
      expect((await status(id)).restarts).toBeGreaterThanOrEqual(1);
    } finally {
      await pub.kill();
      await back?.stop();
    }
  }, 60_000);

  it("gives specific error codes: ConnectionRefused, DnsFailed, PublishRejected (with the server's reason), Timeout", async () => {
    const sockets: net.Socket[] = [];
    const blackhole = net.createServer((s) => sockets.push(s)); // accepts TCP, never speaks RTMP
    await new Promise<void>((r) => blackhole.listen(0, "127.0.0.1", r));
    const ids = {
      ConnectionRefused: await createTemplate("errors", `rtmp://127.0.0.1:${await freePort()}/app/k1`),
      DnsFailed: await createTemplate("errors", "rtmp://no-such-host.invalid/app/k2"),
      // nginx-rtmp hangs up on an unknown application, as Twitch does on a wrong key
      PublishRejected: await createTemplate("errors", `${nginx.rtmpUrl}/no-such-app/k3`),
      Timeout: await createTemplate("errors", `rtmp://127.0.0.1:${(blackhole.address() as net.AddressInfo).port}/app/k4`),
    };
    // two destinations that are one stream name to nginx: the second gets "Already publishing"
    const first = await createTemplate("busy", `${nginx.rtmpUrl}/sink/busykey?a=1`);
    const second = await createTemplate("busy", `${nginx.rtmpUrl}/sink/busykey?a=2`);
    const pubs = [publishRtmp(`${ingest}/live/errors?vhost=${DOMAIN}`, { seconds: 40 }), publishRtmp(`${ingest}/live/busy?vhost=${DOMAIN}`, { seconds: 40 })];
    const lastErrorOf = (id: string, code: string) => waitFor(code, async () => {
      const s = await status(id);
      return s.lastError?.code === code && s;
    }, 30_000);
    try {
      for (const [code, id] of Object.entries(ids)) {
        const s = await lastErrorOf(id, code);
        expect(s.lastError.message).not.toMatch(/k[1-4]/);
      }
      const busy = await waitFor("one busy relay refused", async () => {
        const both = [await status(first), await status(second)];
        return both.some((s) => s.state === "relaying") && both.find((s) => s.lastError?.code === "PublishRejected");
      }, 30_000);
      expect(busy.lastError.message).toContain("Already publishing");
      expect(busy.lastError.message).not.toContain("busykey");
    } finally {
      for (const p of pubs) await p.kill();
      for (const s of sockets) s.destroy();
      blackhole.close();
    }
  }, 60_000);
});

describe("rtmps:// verification", () => {
  const failsVerification = async (ca: TestCa, url: (port: number) => string, args: string[]) => {
    const nginx = await startNginxRtmp({ record: false });
    const tunnel = await startStunnel(nginx.rtmpPort, ca);
    const svc = await startService({ args });
    try {
      const call = apiClient(svc);
      const res = await call("POST", `/v1/domains/${DOMAIN}/relay-templates`, { appName: "live", streamName: "untrusted", destinationUrl: url(tunnel.port), mode: "always" });
      const pub = publishRtmp(`rtmp://127.0.0.1:${svc.ready.rtmpPort}/live/untrusted?vhost=${DOMAIN}`, { seconds: 30 });
      const s = await waitFor("TlsVerificationFailed", async () => {
        const st = (await call("GET", `/v1/domains/${DOMAIN}/relay-templates/${res.body.id}/status`)).body;
        return st.lastError?.code === "TlsVerificationFailed" && st;
      });
      expect(s.state).not.toBe("relaying");
      expect(s.lastError.message).not.toContain("untrustedkey");
      expect((await nginx.streams()).size).toBe(0);
      await pub.kill();
      return s.lastError.message as string;
    } finally {
      await svc.stop();
      await tunnel.kill();
      await nginx.stop();
    }
  };

  it("a certificate no trusted CA signed fails with TlsVerificationFailed and nothing is published", async () => {
    await failsVerification(makeTestCa(), (port) => `rtmps://localhost:${port}/sink/untrustedkey`, []);
  });

  it("a trusted CA's certificate for another host name fails too (the host name is verified)", async () => {
    const ca = makeTestCa("DNS:ingest.example.com");
    const message = await failsVerification(ca, (port) => `rtmps://localhost:${port}/sink/untrustedkey`, ["--tls-ca-file", ca.caFile]);
    expect(message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it("an unreadable --tls-ca-file stops the start with a clear error", async () => {
    await expect(startService({ args: ["--tls-ca-file", "/nonexistent/ca.pem"] })).rejects.toThrow(/cannot read the TLS CA file \/nonexistent\/ca.pem/);
  });
});
