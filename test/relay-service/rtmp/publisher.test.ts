import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { RtmpServer, type RtmpPublishDecision, type RtmpPublishRequest } from "../../../relay-service/src/rtmp";
import { parseRtmpUrl, RtmpUrlError } from "../../../relay-service/src/rtmp/destination-url";
import { PublishError, RtmpPublisher } from "../../../relay-service/src/rtmp/publisher";
import { waitFor } from "../../helpers/relay";

interface Received {
  request: RtmpPublishRequest;
  tags: { type: number; timestamp: number; payload: Buffer }[];
  ended?: string;
}

/** The project's own RTMP server as the peer: it records every publish and what arrives. */
async function recordingServer(decide: (req: RtmpPublishRequest) => RtmpPublishDecision | "accept" = () => "accept") {
  const received: Received[] = [];
  const server = new RtmpServer({
    host: "127.0.0.1",
    port: 0,
    logger: pino({ level: "silent" }),
    onPublish(request) {
      const decision = decide(request);
      if (decision !== "accept") return decision;
      const r: Received = { request, tags: [] };
      received.push(r);
      return { accept: true, sink: { onTag: (type, timestamp, payload) => r.tags.push({ type, timestamp, payload }), onEnd: (reason) => (r.ended = reason) } };
    },
  });
  await server.listen();
  return { server, received, url: (p: string) => `rtmp://127.0.0.1:${server.port}/${p}` };
}

function publisher(url: string) {
  const events = { publishing: false, closed: undefined as PublishError | null | undefined };
  const p = new RtmpPublisher(parseRtmpUrl(url), { onPublishing: () => (events.publishing = true), onClosed: (err) => (events.closed = err ?? null) }, { timeoutMs: 5_000 });
  p.connect();
  return { p, events };
}

const servers: RtmpServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

describe("destination URLs", () => {
  it("splits app and stream name as encoders do; the query stays with the stream name; rtmps defaults to 443", () => {
    expect(parseRtmpUrl("rtmp://a.rtmp.youtube.com/live2/KEY")).toEqual({ secure: false, host: "a.rtmp.youtube.com", port: 1935, app: "live2", streamName: "KEY", tcUrl: "rtmp://a.rtmp.youtube.com/live2" });
    expect(parseRtmpUrl("rtmps://live-api-s.facebook.com/rtmp/KEY?s_bl=1&s_sw=0")).toMatchObject({ secure: true, port: 443, app: "rtmp", streamName: "KEY?s_bl=1&s_sw=0", tcUrl: "rtmps://live-api-s.facebook.com/rtmp" });
    expect(parseRtmpUrl("rtmp://[::1]:1936/app/inst/key")).toMatchObject({ host: "::1", port: 1936, app: "app/inst", streamName: "key", tcUrl: "rtmp://[::1]:1936/app/inst" });
    expect(() => parseRtmpUrl("rtmp://host/onlyapp")).toThrow(RtmpUrlError);
    expect(() => parseRtmpUrl("http://host/a/b")).toThrow(RtmpUrlError);
  });
});

describe("RtmpPublisher against the project's RTMP server", () => {
  it("publishes with app, tcUrl and the query in the stream name; @setDataFrame is unwrapped; extended timestamps survive; a clean stop unpublishes", async () => {
    const srv = await recordingServer();
    servers.push(srv.server);
    const { p, events } = publisher(srv.url("live/show?vhost=b.example.com"));
    const meta = Buffer.from("0200 0a6f6e4d65746144617461 0300000009".replace(/\s/g, ""), "hex"); // "onMetaData", {}
    p.sendTag(18, 0, meta); // held until Publish.Start
    await waitFor("publishing", () => events.publishing);
    const big = 0xffffff + 5;
    for (const ts of [40, big, big + 33]) p.sendTag(9, ts, Buffer.from([0x27, 0x01, 0, 0, 0, 1, 2, 3]));
    p.sendTag(8, big + 40, Buffer.alloc(5000, 0xaf)); // larger than one 4096-byte chunk
    await waitFor("tags at the server", () => srv.received[0]?.tags.length === 5);
    const r = srv.received[0];
    expect(r.request).toMatchObject({ app: "live", streamName: "show", tcUrl: `rtmp://127.0.0.1:${srv.server.port}/live` });
    expect(r.request.query.get("vhost")).toBe("b.example.com");
    expect(r.tags.map((t) => [t.type, t.timestamp])).toEqual([[18, 0], [9, 40], [9, big], [9, big + 33], [8, big + 40]]);
    expect(r.tags[0].payload).toEqual(meta);
    expect(r.tags[4].payload.length).toBe(5000);
    await waitFor("flushed", () => p.mediaFlushed && p.queuedBytes === 0);
    p.finish();
    await waitFor("closed cleanly", () => events.closed === null);
    await waitFor("unpublished", () => r.ended !== undefined);
    expect(r.ended).toBe("unpublish");
  });

  it("reports the server's refusal as PublishRejected, with its reason and without the key", async () => {
    const srv = await recordingServer(() => ({ accept: false, code: "Unauthorized", description: "bad auth_key for secretkey" }));
    servers.push(srv.server);
    const { events } = publisher(srv.url("live/secretkey?auth_key=x"));
    await waitFor("closed", () => events.closed !== undefined);
    expect(events.publishing).toBe(false);
    expect(events.closed).toBeInstanceOf(PublishError);
    expect(events.closed!.code).toBe("PublishRejected");
    expect(events.closed!.message).toContain("NetStream.Publish.Unauthorized");
    expect(events.closed!.message).not.toContain("secretkey");
  });
});
