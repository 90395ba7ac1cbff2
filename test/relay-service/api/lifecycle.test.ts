import net from "node:net";
import { describe, expect, it } from "vitest";
import { apiClient, startService } from "../../helpers/service";

const template = { appName: "live", streamName: "show", destinationUrl: "rtmp://dest.example.com/app/SECRET-STREAM-KEY-42", mode: "always" };

describe("service lifecycle", () => {
  it("persists templates across a restart", async () => {
    const first = await startService();
    const created = await apiClient(first)("POST", "/v1/domains/a.example.com/relay-templates", template);
    await first.stop();
    const second = await startService({ dataDir: first.dataDir });
    try {
      expect((await apiClient(second)("GET", `/v1/domains/a.example.com/relay-templates/${created.body.id}`)).body).toEqual(created.body);
    } finally {
      await second.stop();
    }
  });

  it("prints one readiness line with the listening addresses", async () => {
    const svc = await startService();
    try {
      const lines = svc.logs().filter((l) => String(l.msg).startsWith("liverelay ready"));
      expect(lines).toHaveLength(1);
      expect(lines[0].http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(lines[0].rtmp).toBe(`rtmp://127.0.0.1:${lines[0].rtmpPort}`);
      expect(lines[0].srt).toBe(`srt://127.0.0.1:${lines[0].srtPort}`);
      expect(lines[0].srtPort).not.toBe(0); // the port actually bound, not the requested 0
      expect((await fetch(`${svc.url}/readyz`)).status).toBe(200);
    } finally {
      await svc.stop();
    }
  });

  it("on SIGTERM finishes an in-flight request, then exits 0 within 5 s", async () => {
    const svc = await startService();
    const { port } = new URL(svc.url);
    const body = JSON.stringify(template);
    const socket = net.connect(Number(port), "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    let response = "";
    socket.on("data", (d) => (response += d.toString()));
    socket.write(
      `POST /v1/domains/a.example.com/relay-templates HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${svc.token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    await new Promise((r) => setTimeout(r, 200));
    const stopped = svc.stop();
    await new Promise((r) => setTimeout(r, 300));
    socket.write(body.slice(10));
    const { code, ms } = await stopped;
    expect(response).toMatch(/^HTTP\/1\.1 201/);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5_000);
    socket.destroy();
  });

  it("refuses new connections once stopping and closes the store", async () => {
    const svc = await startService();
    const { code } = await svc.stop();
    expect(code).toBe(0);
    await expect(fetch(`${svc.url}/healthz`)).rejects.toThrow();
    expect(svc.logs().some((l) => l.msg === "stopped")).toBe(true);
  });

  it("explains bad flags and exits non-zero", async () => {
    await expect(startService({ args: ["--http-port", "99999"] })).rejects.toThrow(/--http-port/);
    await expect(startService({ args: ["--bogus"] })).rejects.toThrow(/bogus/);
  });
});

describe("secrets", () => {
  it("never puts a stream key in logs, errors or metrics", async () => {
    const svc = await startService({ args: ["--log-level", "debug"] });
    try {
      const call = apiClient(svc);
      const created = await call("POST", "/v1/domains/a.example.com/relay-templates", template);
      expect(created.body.destinationUrl).toBe(template.destinationUrl); // the API returns it to its owner
      const dup = await call("POST", "/v1/domains/a.example.com/relay-templates", template);
      expect(JSON.stringify(dup.body)).not.toContain("SECRET-STREAM-KEY-42");
      await call("GET", `/v1/domains/a.example.com/relay-templates?destinationUrl=${encodeURIComponent(template.destinationUrl)}`);
      const metrics = await call("GET", "/metrics");
      expect(metrics.body).not.toContain("SECRET-STREAM-KEY-42");
      expect(svc.output.join("\n")).not.toContain("SECRET-STREAM-KEY-42");
      expect(svc.output.join("\n")).not.toContain(svc.token);
    } finally {
      await svc.stop();
    }
  });
});
