import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { advertisedHosts, advertisedHttpUrl, resolveNodeId } from "../../../relay-service/src/cluster/node-identity";
import { ConfigError, loadConfig } from "../../../relay-service/src/conf/config";

describe("node identity", () => {
  it("--node-id wins; without it an id is generated once into the data dir (0600) and kept across restarts", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "node-id-"));
    expect(resolveNodeId("relay-1", dir)).toBe("relay-1");
    expect(fs.existsSync(path.join(dir, "node-id"))).toBe(false);
    const generated = resolveNodeId(undefined, dir);
    expect(generated).toMatch(/^node-[0-9a-f]{12}$/);
    expect(fs.statSync(path.join(dir, "node-id")).mode & 0o777).toBe(0o600);
    expect(resolveNodeId(undefined, dir)).toBe(generated);
  });

  it("--node-id / LIVERELAY_NODE_ID is checked: 1-64 letters, digits, '.', '_' or '-'", () => {
    expect(loadConfig(["--node-id", "relay-1.eu_west"], {}).nodeId).toBe("relay-1.eu_west");
    expect(loadConfig([], { LIVERELAY_NODE_ID: "n2" }).nodeId).toBe("n2");
    for (const bad of ["", "a b", "x".repeat(65), "../etc"]) expect(() => loadConfig(["--node-id", bad], {}), bad).toThrow(ConfigError);
  });

  it("advertises the public names and a specific bind address, never a wildcard one", () => {
    expect(advertisedHosts("10.1.2.3", ["relay-1.example.com"])).toEqual(expect.arrayContaining(["relay-1.example.com", "10.1.2.3", os.hostname()]));
    expect(advertisedHosts("0.0.0.0", [])).not.toContain("0.0.0.0");
    expect(advertisedHosts("::", [])).not.toContain("::");
  });

  it("advertises its HTTP reads at the first public name, else a specific bind address, with its HTTP port; nothing for a bare wildcard", () => {
    expect(advertisedHttpUrl("0.0.0.0", ["relay-1.example.com", "live.example.com"], 8080)).toBe("http://relay-1.example.com:8080");
    expect(advertisedHttpUrl("10.1.2.3", [], 8080)).toBe("http://10.1.2.3:8080");
    expect(advertisedHttpUrl("::1", [], 8080)).toBe("http://[::1]:8080");
    expect(advertisedHttpUrl("0.0.0.0", [], 8080)).toBe("");
    expect(advertisedHttpUrl("::", [], 8080)).toBe("");
  });
});
