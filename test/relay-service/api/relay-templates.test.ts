import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, startService, type ServiceHandle } from "../../helpers/service";

const DOMAIN = "shows.example.com";
const base = (domain = DOMAIN) => `/v1/domains/${domain}/relay-templates`;
const hoursFromNow = (h: number) => new Date(Date.now() + h * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
let seq = 0;
const valid = (over: Record<string, unknown> = {}) => ({
  appName: "live",
  streamName: `show${++seq}`,
  destinationUrl: `rtmp://a.rtmp.youtube.com/live2/KEY-${seq}`,
  mode: "always",
  ...over,
});

describe("relay templates API", () => {
  let svc: ServiceHandle;
  let call: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    svc = await startService();
    call = apiClient(svc);
  });
  afterAll(() => svc?.stop());

  it("creates a template: 201, Location, every field", async () => {
    const input = valid({ mode: "time", startTime: hoursFromNow(1), endTime: hoursFromNow(3), description: "keynote" });
    const res = await call("POST", base(), input);
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`${base()}/${res.body.id}`);
    expect(res.body).toMatchObject({ ...input, domain: DOMAIN });
    expect(res.body.createdAt).toBe(res.body.updatedAt);
    const got = await call("GET", res.headers.get("location")!);
    expect(got.body).toEqual(res.body);
  });

  it("canonicalises timestamps (…:00.000Z → …:00Z)", async () => {
    const start = new Date(Date.now() + 3600_000);
    start.setUTCMilliseconds(0);
    const res = await call("POST", base(), valid({ mode: "time", startTime: start.toISOString(), endTime: new Date(start.getTime() + 3600_000).toISOString() }));
    expect(res.status).toBe(201);
    expect(res.body.startTime).toBe(start.toISOString().replace(".000Z", "Z"));
  });

  describe("domain", () => {
    it.each([
      ["uppercase", "Shows.Example.com", /lowercase/],
      ["underscore", "bad_domain.com", /hostname/],
      ["leading hyphen", "-a.example.com", /hostname/],
      ["too long", `${"a".repeat(60)}.`.repeat(4) + "abcdefghij.com", /253/],
    ])("refuses %s", async (_l, domain, message) => {
      const res = await call("POST", base(domain), valid());
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "BadRequest", field: "domain" });
      expect(res.body.error.message).toMatch(message);
    });
    it("accepts a 253-character hostname and refuses 254", async () => {
      const d253 = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`;
      expect(d253).toHaveLength(253);
      expect((await call("POST", base(d253), valid())).status).toBe(201);
      expect((await call("POST", base(`${d253}e`), valid())).status).toBe(400);
    });
  });

  describe("appName and streamName", () => {
    it.each([
      ["appName", ""],
      ["appName", "has space"],
      ["appName", "slash/x"],
      ["streamName", "a".repeat(256)],
      ["streamName", "ünïcode"],
      ["streamName", "q?x=1"],
    ])("refuses %s %j", async (field, value) => {
      const res = await call("POST", base(), valid({ [field]: value }));
      expect(res.status).toBe(400);
      expect(res.body.error.field).toBe(field);
    });
    it("accepts 255 characters of letters, digits, _ - .", async () => {
      const res = await call("POST", base(), valid({ streamName: "a_b-c.D9".padEnd(255, "x") }));
      expect(res.status).toBe(201);
    });
    it("is case-sensitive: Live and live are different templates", async () => {
      const url = "rtmp://x.example.com/app/same-key";
      expect((await call("POST", base(), { appName: "Live", streamName: "Show", destinationUrl: url, mode: "always" })).status).toBe(201);
      expect((await call("POST", base(), { appName: "live", streamName: "Show", destinationUrl: url, mode: "always" })).status).toBe(201);
      expect((await call("POST", base(), { appName: "live", streamName: "show", destinationUrl: url, mode: "always" })).status).toBe(201);
      const listed = await call("GET", `${base()}?appName=Live&streamName=Show`);
      expect(listed.body.items).toHaveLength(1);
    });
  });

  describe("destinationUrl", () => {
    it.each([
      ["http://a.example.com/app/key", /scheme/],
      ["ftp://a.example.com/app/key", /scheme/],
      ["rtmp://a.example.com", /app and a stream key/],
      ["rtmp://a.example.com/app", /app and a stream key/],
      ["rtmp://a.example.com/app/", /app and a stream key/],
      ["srt://a.example.com", /port/],
      ["srt://a.example.com:9000?streamid=k&mode=listener", /mode must be caller/],
      ["srt://a.example.com:9000?streamid=k&passphrase=tooshort", /passphrase must be 10 to 79 characters/],
      ["srt://a.example.com:9000?streamid=k&pbkeylen=20", /pbkeylen must be 16, 24 or 32/],
      ["srt://a.example.com:9000?streamid=k&latency=50000", /ambiguous/],
      ["srt://a.example.com:9000?streamid=k&maxbw=1000", /"maxbw" is not supported/],
      ["rtmp://a.example.com/app/key with space", /whitespace/],
      [" rtmp://a.example.com/app/key", /whitespace/],
      ["not-a-url", /complete URL/],
      [`rtmp://a.example.com/app/${"k".repeat(2048)}`, /2048/],
    ])("refuses %s", async (url, message) => {
      const res = await call("POST", base(), valid({ destinationUrl: url }));
      expect(res.status).toBe(400);
      expect(res.body.error.field).toBe("destinationUrl");
      expect(res.body.error.message).toMatch(message);
    });
    it.each([
      "rtmps://live-api-s.facebook.com:443/rtmp/FB-123-abc",
      "rtmp://live.twitch.tv/app/live_123_abc?bandwidthtest=true",
      "srt://ingest.example.com:9000?streamid=#!::r=live/show,m=publish&passphrase=abcdefghijk&latency=200",
      "srt://ingest.example.com:9000?streamid=key&passphrase=abcdefghijk&pbkeylen=32&latency=200000&mode=caller",
      "rtmp://127.0.0.1:1935/live/show?vhost=b.example.com",
    ])("accepts %s", async (url) => {
      const res = await call("POST", base(), valid({ destinationUrl: url }));
      expect(res.status).toBe(201);
      expect(res.body.destinationUrl).toBe(url);
    });
  });

  describe("schedule", () => {
    it.each([
      ["time without times", { mode: "time" }, "startTime", /required/],
      ["time without endTime", { mode: "time", startTime: hoursFromNow(1) }, "endTime", /required/],
      ["end before start", { mode: "time", startTime: hoursFromNow(2), endTime: hoursFromNow(1) }, "endTime", /later than startTime/],
      ["end equal to start", { mode: "time", startTime: hoursFromNow(2), endTime: hoursFromNow(2) }, "endTime", /later than startTime/],
      ["exactly 7 days", { mode: "time", startTime: hoursFromNow(1), endTime: hoursFromNow(1 + 7 * 24) }, "endTime", /shorter than 7 days/],
      ["end in the past", { mode: "time", startTime: hoursFromNow(-3), endTime: hoursFromNow(-1) }, "endTime", /current time/],
      ["not UTC", { mode: "time", startTime: "2030-01-01T09:00:00+08:00", endTime: hoursFromNow(2) }, "startTime", /RFC 3339 UTC/],
      ["not a date", { mode: "time", startTime: "2030-02-30T09:00:00Z", endTime: hoursFromNow(2) }, "startTime", /valid date/],
      ["always with times", { mode: "always", startTime: hoursFromNow(1) }, "startTime", /not allowed/],
      ["unknown mode", { mode: "sometimes" }, "mode", /.+/],
    ])("refuses %s", async (_l, over, field, message) => {
      const res = await call("POST", base(), valid(over));
      expect(res.status).toBe(400);
      expect(res.body.error.field).toBe(field);
      expect(res.body.error.message).toMatch(message);
    });
    it("accepts a window of 7 days minus one second, and one that started already", async () => {
      const start = new Date(Date.now() - 3600_000);
      const end = new Date(start.getTime() + 7 * 24 * 3600_000 - 1000);
      const res = await call("POST", base(), valid({ mode: "time", startTime: start.toISOString(), endTime: end.toISOString() }));
      expect(res.status).toBe(201);
    });
  });

  describe("request bodies", () => {
    it("refuses unknown fields", async () => {
      const res = await call("POST", base(), valid({ colour: "blue" }));
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "BadRequest", field: "colour" });
    });
    it("refuses malformed JSON", async () => {
      const res = await call("POST", base(), "{not json");
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/not valid JSON/);
    });
    it("refuses a JSON array", async () => {
      expect((await call("POST", base(), [])).status).toBe(400);
    });
    it("refuses bodies over 64 KiB with 413", async () => {
      const res = await call("POST", base(), valid({ description: "x".repeat(70 * 1024) }));
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe("PayloadTooLarge");
    });
    it("refuses non-JSON content types with 415", async () => {
      const res = await call("POST", base(), "appName=live", { "content-type": "application/x-www-form-urlencoded" });
      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe("UnsupportedMediaType");
    });
  });

  it("refuses a duplicate (domain, app, stream, destination) with 409 Conflict", async () => {
    const input = valid();
    expect((await call("POST", base(), input)).status).toBe(201);
    const again = await call("POST", base(), { ...input, description: "other" });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("Conflict");
    expect((await call("POST", base("other.example.com"), input)).status).toBe(201);
  });

  it("answers 404 for an absent id and for another domain's template", async () => {
    const created = await call("POST", base(), valid());
    expect((await call("GET", `${base()}/rt_doesnotexist`)).status).toBe(404);
    const other = await call("GET", `${base("other.example.com")}/${created.body.id}`);
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe("NotFound");
    expect((await call("PATCH", `${base("other.example.com")}/${created.body.id}`, { description: "x" })).status).toBe(404);
    expect((await call("DELETE", `${base("other.example.com")}/${created.body.id}`)).status).toBe(404);
  });

  describe("PATCH", () => {
    it.each(["appName", "streamName", "destinationUrl", "domain"])("refuses a change to %s with ImmutableField", async (field) => {
      const created = await call("POST", base(), valid());
      const res = await call("PATCH", `${base()}/${created.body.id}`, { [field]: "other" });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "ImmutableField", field });
    });
    it("changes the schedule and description, keeps id and createdAt", async () => {
      const created = await call("POST", base(), valid());
      await new Promise((r) => setTimeout(r, 5));
      const res = await call("PATCH", `${base()}/${created.body.id}`, { mode: "time", startTime: hoursFromNow(1), endTime: hoursFromNow(2), description: "moved" });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: created.body.id, mode: "time", description: "moved", createdAt: created.body.createdAt });
      expect(res.body.updatedAt > created.body.updatedAt).toBe(true);
      const back = await call("PATCH", `${base()}/${created.body.id}`, { mode: "always" });
      expect(back.body).toMatchObject({ mode: "always", startTime: null, endTime: null, description: "moved" });
    });
    it("validates the result as a whole", async () => {
      const created = await call("POST", base(), valid({ mode: "time", startTime: hoursFromNow(1), endTime: hoursFromNow(2) }));
      const tooLong = await call("PATCH", `${base()}/${created.body.id}`, { endTime: hoursFromNow(1 + 7 * 24) });
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.error.field).toBe("endTime");
      const beforeStart = await call("PATCH", `${base()}/${created.body.id}`, { startTime: hoursFromNow(5) });
      expect(beforeStart.status).toBe(400);
      const unknown = await call("PATCH", `${base()}/${created.body.id}`, { nope: 1 });
      expect(unknown.body.error).toMatchObject({ code: "BadRequest", field: "nope" });
      expect((await call("GET", `${base()}/${created.body.id}`)).body).toEqual(created.body);
    });
  });

  it("DELETE answers 204, then 404", async () => {
    const created = await call("POST", base(), valid());
    const del = await call("DELETE", `${base()}/${created.body.id}`);
    expect(del.status).toBe(204);
    expect(del.body).toBeUndefined();
    expect((await call("DELETE", `${base()}/${created.body.id}`)).status).toBe(404);
    expect((await call("GET", `${base()}/${created.body.id}`)).status).toBe(404);
  });

  it("lists with filters and cursor pagination over every item exactly once", async () => {
    const domain = "paging.example.com";
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await call("POST", base(domain), { appName: i % 2 ? "odd" : "even", streamName: "s", destinationUrl: `srt://d.example.com:900${i}`, mode: "always" });
      ids.push(res.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page = await call("GET", base(domain) + q);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((t: { id: string }) => t.id));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(ids);
    const odd = await call("GET", `${base(domain)}?appName=odd`);
    expect(odd.body.items).toHaveLength(3);
    const byUrl = await call("GET", `${base(domain)}?destinationUrl=${encodeURIComponent("srt://d.example.com:9004")}`);
    expect(byUrl.body.items.map((t: { id: string }) => t.id)).toEqual([ids[4]]);
    expect((await call("GET", `${base(domain)}?limit=0`)).status).toBe(400);
    expect((await call("GET", `${base(domain)}?limit=201`)).status).toBe(400);
    expect((await call("GET", `${base(domain)}?cursor=garbage!`)).body.error.field).toBe("cursor");
    expect((await call("GET", `${base(domain)}?colour=red`)).status).toBe(400);
    expect((await call("GET", base(domain))).body.items).toHaveLength(7);
  });
});
