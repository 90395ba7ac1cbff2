import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// The API contract is its own package so that the service loads zod and nothing of the client
// (axios and its tree): run `npm run build` first.
const REPO_ROOT = path.resolve(__dirname, "..", "..");
const readJson = (p: string) => JSON.parse(fs.readFileSync(path.join(REPO_ROOT, p), "utf8")) as { dependencies?: Record<string, string> };

describe("@liverelay/api package", () => {
  it("depends on zod only, and the service on it instead of the SDK", () => {
    expect(Object.keys(readJson("api/package.json").dependencies ?? {})).toEqual(["zod"]);
    const service = readJson("relay-service/package.json").dependencies ?? {};
    expect(service).toHaveProperty("@liverelay/api");
    expect(service).not.toHaveProperty("@liverelay/sdk");
  });

  it("the built service loads neither the SDK nor axios", () => {
    const script = `
      require(${JSON.stringify(path.join(REPO_ROOT, "relay-service", "dist", "index.js"))});
      process.stdout.write(JSON.stringify(Object.keys(require.cache)));
    `;
    const loaded = JSON.parse(execFileSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 30_000 })) as string[];
    expect(loaded.some((p) => p.includes(`${path.sep}api${path.sep}dist${path.sep}`))).toBe(true);
    expect(loaded.filter((p) => p.includes(`${path.sep}sdk${path.sep}dist${path.sep}`) || p.includes(`${path.sep}axios${path.sep}`))).toEqual([]);
  });

  it("the SDK re-exports the same schema objects (one zod instance, one contract)", () => {
    const api = require("@liverelay/api");
    const sdk = require("@liverelay/sdk");
    expect(sdk.RelayTemplateCreate).toBe(api.RelayTemplateCreate);
    expect(sdk.redactUrl).toBe(api.redactUrl);
    expect(api.ErrorCode.options).toContain("NotFound");
  });
});
