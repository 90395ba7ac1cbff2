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

  it("exports '.' only (as CommonJS and as an ES module over the same code); internals are not importable", () => {
    const sdk = require("@liverelay/sdk");
    const api = require("@liverelay/api");
    expect(typeof sdk.createClient).toBe("function");
    expect(typeof sdk.redactUrl).toBe("function");
    expect(sdk.RelayTemplateCreate).toBe(api.RelayTemplateCreate);
    expect(typeof sdk.RelayStatus.parse).toBe("function");
    expect(new sdk.QuotaExceededError({ status: 409, code: "QuotaExceeded", message: "full" })).toBeInstanceOf(sdk.ConflictError);
    for (const internal of ["@liverelay/sdk/dist/errors.js", "@liverelay/sdk/dist/index.js", "@liverelay/sdk/schemas"]) {
      expect(() => require(internal), internal).toThrow(expect.objectContaining({ code: "ERR_PACKAGE_PATH_NOT_EXPORTED" }));
    }
    const script = `
      import { createClient, NotFoundError } from "@liverelay/sdk";
      import { createRequire } from "node:module";
      const cjs = createRequire(import.meta.url)("@liverelay/sdk");
      process.stdout.write(JSON.stringify([typeof createClient, NotFoundError === cjs.NotFoundError]));
    `;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: SDK_DIR, encoding: "utf8", timeout: 30_000 });
    expect(JSON.parse(out)).toEqual(["function", true]);
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
