import { describe, expect, it } from "vitest";
import { describeStreamId, parseStreamId } from "../../../relay-service/src/srt/streamid";

describe("parseStreamId: Haivision access-control syntax", () => {
  it("parses every standard key", () => {
    const p = parseStreamId("#!::h=shows.example.com,r=live/show?auth_key=k1&x=2,m=publish,u=alice,s=sess-9,t=stream");
    expect(p).not.toBeNull();
    expect(p!.mode).toBe("publish");
    expect(p!.resource).toBe("live/show");
    expect(p!.host).toBe("shows.example.com");
    expect(p!.user).toBe("alice");
    expect(p!.session).toBe("sess-9");
    expect(p!.query.get("auth_key")).toBe("k1");
    expect(p!.query.get("x")).toBe("2");
  });

  it("strips a leading slash from the resource", () => {
    expect(parseStreamId("#!::r=/live/show,m=publish")?.resource).toBe("live/show");
  });

  it("defaults the mode to request, as the SRT access-control guidelines say", () => {
    const p = parseStreamId("#!::r=live/show");
    expect(p?.mode).toBe("request");
    expect(p?.host).toBeUndefined();
    expect([...p!.query]).toEqual([]);
  });

  it("accepts m=request explicitly and keys in any order", () => {
    expect(parseStreamId("#!::m=request,r=app/s")).toMatchObject({ mode: "request", resource: "app/s" });
  });

  it("keeps '=' inside values and tolerates unknown keys", () => {
    const p = parseStreamId("#!::r=live/show?sig=abc==,m=publish,companyx_tier=gold");
    expect(p?.query.get("sig")).toBe("abc==");
  });

  it.each([
    ["empty", ""],
    ["prefix only", "#!::"],
    ["no resource", "#!::m=publish,h=a.example.com"],
    ["empty resource", "#!::r=,m=publish"],
    ["slash only", "#!::r=/,m=publish"],
    ["empty path segment", "#!::r=live//show,m=publish"],
    ["trailing slash", "#!::r=live/show/,m=publish"],
    ["dot-dot segment", "#!::r=live/../etc,m=publish"],
    ["whitespace in resource", "#!::r=live/my show,m=publish"],
    ["control character in resource", "#!::r=live/a\u0001b,m=publish"],
    ["backslash in resource", "#!::r=live\\show,m=publish"],
    ["item without '='", "#!::r=live/show,publish"],
    ["empty key", "#!::=x,r=live/show"],
    ["empty value", "#!::r=live/show,u="],
    ["duplicate key", "#!::r=live/a,r=live/b"],
    ["bidirectional mode", "#!::r=live/show,m=bidirectional"],
    ["unknown mode", "#!::r=live/show,m=PUBLISH"],
    ["non-stream type", "#!::r=results.csv,t=file,m=publish"],
    ["nested syntax", "#!:{r=live/show}"],
    ["too long", `#!::r=live/${"x".repeat(600)}`],
  ])("returns null for %s", (_label, raw) => {
    expect(parseStreamId(raw)).toBeNull();
  });
});

describe("parseStreamId: short form (MediaMTX style)", () => {
  it("parses publish:app/stream", () => {
    const p = parseStreamId("publish:live/show");
    expect(p).toMatchObject({ mode: "publish", resource: "live/show" });
    expect(p?.user).toBeUndefined();
  });

  it("maps read to request and strips a leading slash", () => {
    expect(parseStreamId("read:/live/show")).toMatchObject({ mode: "request", resource: "live/show" });
  });

  it("parses credentials: user field, password as query 'pass'", () => {
    const p = parseStreamId("publish:live/show:bob:s3cret");
    expect(p).toMatchObject({ mode: "publish", resource: "live/show", user: "bob" });
    expect(p?.query.get("pass")).toBe("s3cret");
  });

  it("parses a trailing query with and without credentials", () => {
    expect(parseStreamId("publish:live/show:key=abc")?.query.get("key")).toBe("abc");
    const p = parseStreamId("publish:live/show:bob:pw:key=abc&n=1");
    expect(p?.query.get("key")).toBe("abc");
    expect(p?.query.get("pass")).toBe("pw");
    expect(p?.query.get("n")).toBe("1");
  });

  it("accepts a query after '?' in the path", () => {
    const p = parseStreamId("publish:live/show?key=abc");
    expect(p?.resource).toBe("live/show");
    expect(p?.query.get("key")).toBe("abc");
  });

  it.each([
    ["bare path", "live/show"],
    ["unknown action", "play:live/show"],
    ["empty path", "publish:"],
    ["too many parts", "publish:a/b:u:p:q:extra"],
    ["empty user with password", "publish:live/show::pw"],
  ])("returns null for %s", (_label, raw) => {
    expect(parseStreamId(raw)).toBeNull();
  });
});

describe("describeStreamId", () => {
  it("never includes query values, passwords or session ids", () => {
    const d = describeStreamId("#!::h=a.example.com,r=live/show?auth_key=TOPSECRET,m=publish,u=al,s=SESSIONSECRET");
    expect(d).toBe("publish a.example.com/live/show user=al");
    expect(describeStreamId("publish:live/show:bob:PASSWORD")).not.toContain("PASSWORD");
  });

  it("describes unparsable ids by length only", () => {
    expect(describeStreamId("garbage with secret")).toBe("<unparsed streamid, 19 chars>");
  });
});
