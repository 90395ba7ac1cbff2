import { describe, expect, it } from "vitest";
import { createLogger } from "../../../relay-service/src/log/logger";

function capture() {
  const lines: string[] = [];
  const logger = createLogger("info", { write: (line: string) => lines.push(line) });
  return { logger, text: () => lines.join("") };
}

describe("log lines redact URLs wherever they are", () => {
  it("in the message, in fields, in nested fields and in errors", () => {
    const { logger, text } = capture();
    logger.info("pushing to rtmp://[::1]:1935/live/KEYINMSG?a=QUERYINMSG now");
    logger.warn({ target: "srt://h:9000?streamid=#!::r=live/STREAMID,m=publish&passphrase=PASSINFIELD", nested: { url: "rtmps://h/app/NESTEDKEY" } }, "x");
    logger.error({ err: new Error("open rtmp://h:1/app/ERRKEY failed") }, "failed");
    const out = text();
    for (const secret of ["KEYINMSG", "QUERYINMSG", "STREAMID", "PASSINFIELD", "NESTEDKEY", "ERRKEY"]) expect(out).not.toContain(secret);
    expect(out).toContain("rtmp://[::1]:1935/live/***?***");
    expect(out).toContain('"message":"open rtmp://h:1/app/*** failed"');
    expect(JSON.parse(text().split("\n")[1]).nested.url).toBe("rtmps://h/app/***");
  });
});
