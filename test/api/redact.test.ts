import { describe, expect, it } from "vitest";
import { redactText, redactUrl } from "../../api/src/redact";

describe("redactUrl", () => {
  it.each([
    ["rtmp://a.rtmp.youtube.com/live2/abcd-efgh", "rtmp://a.rtmp.youtube.com/live2/***"],
    ["rtmps://live-api-s.facebook.com:443/rtmp/FB-1-2?s_bl=1&key=xyz", "rtmps://live-api-s.facebook.com:443/rtmp/***?s_bl=1&key=***"],
    ["srt://h:9000?streamid=abc&passphrase=secret123456&latency=200", "srt://h:9000?streamid=***&passphrase=***&latency=200"],
    // an unencoded `#!::` streamid makes the rest a fragment: hidden whole
    ["srt://h:9000?streamid=#!::r=live/s&passphrase=secret123456&latency=200", "srt://h:9000?streamid=***#***"],
    ["rtmp://user:pw@h/app/key", "rtmp://h/app/***"],
  ])("%s → %s", (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });
  it("never echoes an unparseable URL", () => {
    expect(redactUrl("rtmp://[bad/app/KEY")).not.toContain("KEY");
  });
});

describe("redactText", () => {
  it("redacts URLs inside text and keeps the punctuation around them", () => {
    expect(redactText("failed (see rtmp://h/app/KEY). next")).toBe("failed (see rtmp://h/app/***). next");
    expect(redactText("Error opening output rtmp://127.0.0.1:1935/app/SECRET: refused")).toBe("Error opening output rtmp://127.0.0.1:1935/app/***: refused");
    expect(redactText('url "srt://h:1?passphrase=abcdefghijk", then')).toBe('url "srt://h:1?passphrase=***", then');
  });
});
