import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// The built package, as the service, the Pulumi provider and users load it (run `npm run build` first).
const SDK_DIR = path.resolve(__dirname, "..", "..", "sdk");

describe("@liverelay/sdk package (built)", () => {
  it("has been built", () => {
    expect(fs.existsSync(path.join(SDK_DIR, "dist", "index.js")), "run `npm run build` (or `npx tsc -b sdk`) first").toBe(true);
    expect(fs.existsSync(path.join(SDK_DIR, "dist", "index.d.ts"))).toBe(true);
  });

  it("resolves '.', './schemas' and './dist/*' through the exports map, as CommonJS", () => {
    const sdk = require("@liverelay/sdk");
    const schemas = require("@liverelay/api");
    const errors = require("@liverelay/sdk/dist/errors.js");
    expect(typeof sdk.createClient).toBe("function");
    expect(typeof sdk.redactUrl).toBe("function");
    expect(sdk.NotFoundError).toBe(errors.NotFoundError);
    expect(sdk.RelayTemplateCreate).toBe(schemas.RelayTemplateCreate);
    expect(typeof schemas.RelayStatus.parse).toBe("function");
    expect(new sdk.QuotaExceededError({ status: 409, code: "QuotaExceeded", message: "full" })).toBeInstanceOf(sdk.ConflictError);
  });

  it("SDK_VERSION matches package.json (it is the user-agent)", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(SDK_DIR, "package.json"), "utf8")) as { version: string };
    expect(require("@liverelay/sdk").SDK_VERSION).toBe(pkg.version);
  });

  it("does no I/O and holds no handle at import or at createClient", () => {
    const script = `
      const net = require("node:net");
      net.Socket.prototype.connect = () => { throw new Error("socket opened at import"); };
      const sdk = require(${JSON.stringify(path.join(SDK_DIR, "dist", "index.js"))});
      sdk.createClient({ baseUrl: "http://127.0.0.1:1", token: "t" });
      process.stdout.write(JSON.stringify(process.getActiveResourcesInfo()));
    `;
    const out = execFileSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 10_000 });
    expect(JSON.parse(out).filter((r: string) => r !== "TTYWrap" && r !== "PipeWrap")).toEqual([]);
  });
});
