import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redactText, redactUrl } from "../../api/src/redact";

describe("redactUrl", () => {
  it.each([
    ["rtmp://a.rtmp.youtube.com/live2/abcd-efgh", "rtmp://a.rtmp.youtube.com/live2/***"],
    // Facebook: the key is the path, and `a=` in the query is a secret too
    ["rtmps://live-api-s.facebook.com:443/rtmp/FB-1-2?s_bl=1&s_psm=1&a=AbCdEf123", "rtmps://live-api-s.facebook.com:443/rtmp/***?***"],
    ["rtmp://h/live/show?streamkey=k3y", "rtmp://h/live/***?***"],
    ["srt://h:9000?streamid=abc&passphrase=secret123456&latency=200", "srt://h:9000?***"],
    // an unencoded `#!::` streamid makes the rest a fragment: hidden whole
    ["srt://h:9000?streamid=#!::r=live/s&passphrase=secret123456&latency=200", "srt://h:9000?***#***"],
    ["rtmp://user:pw@h/app/key", "rtmp://***@h/app/***"],
    ["rtmp://[::1]:1935/live/KEY", "rtmp://[::1]:1935/live/***"],
    ["rtmp://[::ffff:127.0.0.1]:1935/live/a/b/c", "rtmp://[::ffff:127.0.0.1]:1935/live/***"],
    ["RTMP://H.example:1935/live", "rtmp://H.example:1935/live"],
    ["rtmp://h/li%76e/key", "rtmp://h/***/***"],
  ])("%s → %s", (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it("never echoes an unparseable URL", () => {
    expect(redactUrl("rtmp://[bad/app/KEY")).not.toContain("KEY");
    expect(redactUrl("not a url KEY")).not.toContain("KEY");
  });
});

describe("redactText", () => {
  it("redacts URLs inside text and keeps the punctuation around them", () => {
    expect(redactText("failed (see rtmp://h/app/KEY). next")).toBe("failed (see rtmp://h/app/***). next");
    expect(redactText("Error opening output rtmp://127.0.0.1:1935/app/SECRET: refused")).toBe("Error opening output rtmp://127.0.0.1:1935/app/***: refused");
    expect(redactText('url "srt://h:1?passphrase=abcdefghijk", then')).toBe('url "srt://h:1?***", then');
    expect(redactText("to rtmp://[::1]:1935/live/KEY failed")).toBe("to rtmp://[::1]:1935/live/*** failed");
    expect(redactText("to rtmp://u:p@[::1]/live/KEY failed")).toBe("to rtmp://***@[::1]/live/*** failed");
    expect(redactText("query rtmp://h/a/b?x[0]=SECRET(1) end")).toBe("query rtmp://h/a/***?*** end");
  });
});

// ---- properties over generated URLs ----

/** Secrets carry a marker no generated host, port or app contains, so "appears in the output" is exact. */
const ANY_CHARS = "abcXYZ019-_.~!$&'()*+,;=:@/ é%#?[]\"<>{}";
const secretOf = (chars: string) => fc.string({ minLength: 1, maxLength: 24, unit: fc.constantFrom(...chars) }).map((s) => `QQ${s}QQ`);
/** A secret as it is written into a URL: percent-encoded where it must be, sometimes everywhere. */
const written = (s: string, everything: boolean) => (everything ? [...Buffer.from(s)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("") : encodeURIComponent(s));

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join("."));
const ipv6 = fc.ipV6().map((a) => `[${a}]`);
const host = fc.oneof(fc.domain(), ipv4, ipv6, fc.constant("localhost"));
const app = fc.stringMatching(/^[a-z0-9_-]{1,12}$/);
const queryKey = fc.oneof(fc.constantFrom("streamid", "passphrase", "a", "s_bl", "streamkey", "key", "latency", "x"), fc.string({ minLength: 1, maxLength: 8 }).map(encodeURIComponent));

interface Generated {
  url: string;
  secrets: string[];
  host: string;
  port?: number;
  app: string;
}

function generatedUrl(chars = ANY_CHARS): fc.Arbitrary<Generated> {
  const secret = secretOf(chars);
  return fc
  .record({
    scheme: fc.constantFrom("rtmp", "rtmps", "srt", "RTMP"),
    user: fc.option(fc.tuple(secret, fc.option(secret, { nil: undefined })), { nil: undefined }),
    host,
    port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    app,
    stream: fc.option(fc.array(secret, { minLength: 1, maxLength: 3 }), { nil: undefined }),
    query: fc.array(fc.tuple(queryKey, secret), { maxLength: 4 }),
    fragment: fc.option(secret, { nil: undefined }),
    encodeAll: fc.boolean(),
  })
  .map((g) => {
    const w = (s: string) => written(s, g.encodeAll);
    const userinfo = g.user ? `${w(g.user[0])}${g.user[1] !== undefined ? `:${w(g.user[1])}` : ""}@` : "";
    const path = g.stream ? `/${g.app}/${g.stream.map(w).join("/")}` : `/${g.app}`;
    const query = g.query.length ? `?${g.query.map(([k, v]) => `${k}=${w(v)}`).join("&")}` : "";
    // Facebook style: the secret `a=` comes last, after harmless keys
    // An SRT `#!::` stream id is written unencoded, so the fragment is raw text (minus what ends a URL).
    const rawFragment = g.fragment?.replace(/[\s#"'<>]/g, "");
    const fragment = rawFragment !== undefined ? `#${rawFragment}` : "";
    const url = `${g.scheme}://${userinfo}${g.host}${g.port !== undefined ? `:${g.port}` : ""}${path}${query}${fragment}`;
    const secrets = [...(g.user?.filter((s): s is string => s !== undefined) ?? []), ...(g.stream ?? []), ...g.query.map(([, v]) => v), ...(rawFragment !== undefined ? [rawFragment] : [])];
    return { url, secrets, host: g.host, port: g.port, app: g.app };
  });
}

/** Any trace of a secret: as generated, as written into the URL, or the marker around it. */
const leaks = (out: string, secrets: string[]) => out.includes("QQ") || secrets.some((s) => [s, written(s, false), written(s, true)].some((form) => out.includes(form)));

describe("redaction properties (fast-check)", () => {
  it("redactUrl: no stream name, query value, user-info or fragment survives; scheme, host, port and app do", () => {
    fc.assert(
      fc.property(generatedUrl(), (g) => {
        const out = redactUrl(g.url);
        expect(leaks(out, g.secrets)).toBe(false);
        expect(out.startsWith(`${g.url.slice(0, g.url.indexOf(":")).toLowerCase()}://`)).toBe(true);
        expect(out).toContain(`${g.host}${g.port !== undefined ? `:${g.port}` : ""}/${g.app}`);
      }),
      { numRuns: 2000 },
    );
  });

  // In free text a URL ends at whitespace, a quote or a bracket, so a key holding one cannot be
  // told from the text around it: these URLs write `'`, `(` and `)` percent-encoded, as every other such character.
  it("redactText: the same for URLs inside free text, next to punctuation and brackets", () => {
    const around = fc.tuple(fc.constantFrom("", "error: ", "(see ", '"', "to "), fc.constantFrom("", " failed", ").", '", next', ": refused", "."));
    fc.assert(
      fc.property(generatedUrl(ANY_CHARS.replace(/['()]/g, "")), around, (g, [before, after]) => {
        const out = redactText(`${before}${g.url}${after}`);
        expect(leaks(out, g.secrets)).toBe(false);
        expect(out).toContain(`${g.host}${g.port !== undefined ? `:${g.port}` : ""}/${g.app}`);
      }),
      { numRuns: 2000 },
    );
  });

  it("is idempotent: redacting a redacted URL changes nothing", () => {
    fc.assert(fc.property(generatedUrl(), (g) => redactUrl(redactUrl(g.url)) === redactUrl(g.url)));
  });
});
