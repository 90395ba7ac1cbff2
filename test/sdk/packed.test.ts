import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startService, type ServiceHandle } from "../helpers/service";

// The SDK as an app developer gets it: `npm pack`ed @liverelay/api and @liverelay/sdk installed
// (`npm install ./x.tgz`) into a fresh project outside the repository, a program written in
// strict TypeScript compiled with module NodeNext, once as an ES module and once as CommonJS,
// each run against the real service. The install is cached in
// $TMPDIR/liverelay-sdk-pack/<hash of the tarballs>.

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const TSC = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 600_000 });
}

/** The program, in both module systems: the import line differs, the rest is the same. */
function program(importLine: string): string {
  return `${importLine}

async function main(): Promise<void> {
  const domain = "packed.example.com";
  const client = createClient({ baseUrl: process.env.E!, token: process.env.T!, defaultHeaders: { "x-app": "packed" } });
  const created: RelayTemplate = await client.relayTemplates.create(domain, {
    appName: "live", streamName: "keynote", destinationUrl: "rtmp://127.0.0.1:1/live/sk-" + process.env.KIND, mode: "time",
    startTime: "2030-01-01T09:00:00Z", endTime: "2030-01-01T10:00:00Z",
  });
  const start: string = created.mode === "time" ? created.startTime : "not narrowed";
  const ids: string[] = [];
  for await (const t of client.relayTemplates.list(domain, { limit: 1 })) ids.push(t.id);
  const page = await client.relayTemplates.list(domain);
  const status: RelayStatus = await client.relayTemplates.waitForState(domain, created.id, "inactive", { deadlineMs: 10_000, pollIntervalMs: 100 });
  let notFound = "";
  try {
    await client.relayTemplates.get(domain, "rt_missing");
  } catch (err) {
    if (err instanceof NotFoundError) notFound = err.code;
  }
  let aborted = "";
  try {
    await client.quota.get(domain, { signal: AbortSignal.abort() });
  } catch (err) {
    if (err instanceof LiveRelayAbortError) aborted = err.name;
  }
  await client.relayTemplates.delete(domain, created.id);
  console.log(JSON.stringify({ start, ids, hasNext: page.hasNextPage(), state: status.state, notFound, aborted, redacted: redactUrl("rtmp://h/live/KEY") }));
}
main().catch((err) => {
  console.error(String(err));
  process.exit(1);
});
`;
}

describe("packed @liverelay/api and @liverelay/sdk in a fresh project", () => {
  let project: string;
  let svc: ServiceHandle;

  beforeAll(async () => {
    const packDir = fs.mkdtempSync(path.join(os.tmpdir(), "liverelay-sdk-tgz-"));
    // `npm pack` runs each package's prepack: a clean build, so nothing stale ships.
    const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", packDir, "--workspace", "api", "--workspace", "sdk"], REPO_ROOT)) as { filename: string }[];
    const tarballs = packed.map((p) => path.join(packDir, path.basename(p.filename)));
    const hash = crypto.createHash("sha256");
    for (const t of tarballs) hash.update(fs.readFileSync(t));
    project = path.join(os.tmpdir(), "liverelay-sdk-pack", hash.digest("hex").slice(0, 16));
    if (!fs.existsSync(path.join(project, "node_modules", ".installed"))) {
      fs.rmSync(project, { recursive: true, force: true });
      fs.mkdirSync(project, { recursive: true });
      fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "sdk-consumer", private: true }, null, 2));
      const local = tarballs.map((t) => {
        fs.copyFileSync(t, path.join(project, path.basename(t)));
        return `./${path.basename(t)}`;
      });
      run("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", ...local], project);
      fs.writeFileSync(path.join(project, "node_modules", ".installed"), "");
    }
    for (const t of tarballs) fs.copyFileSync(t, path.join(project, `contents-${path.basename(t)}`));
    fs.rmSync(packDir, { recursive: true, force: true });
    svc = await startService();
  }, 900_000);

  afterAll(async () => {
    await svc?.stop();
  });

  it("each tarball has README and LICENSE, the sources its maps point at, and no stale file", () => {
    for (const name of ["api", "sdk"]) {
      const tgz = fs.readdirSync(project).find((f) => f.startsWith(`contents-liverelay-${name}-`))!;
      const files = run("tar", ["-tzf", tgz], project).trim().split("\n").map((f) => f.replace(/^package\//, ""));
      expect(files, name).toEqual(expect.arrayContaining(["README.md", "LICENSE", "package.json", "dist/index.js", "dist/index.mjs", "dist/index.d.ts"]));
      const shipped = new Set(files);
      for (const map of files.filter((f) => f.endsWith(".map"))) {
        const text = run("tar", ["-xzOf", tgz, `package/${map}`], project);
        for (const source of (JSON.parse(text) as { sources: string[] }).sources) {
          expect(shipped.has(path.posix.normalize(path.posix.join(path.posix.dirname(map), source))), `${name}: ${map} → ${source}`).toBe(true);
        }
        // Every map belongs to a shipped file.
        expect(shipped.has(map.replace(/\.map$/, "")), `${name}: ${map}`).toBe(true);
      }
      // A compiled file exists for each source (nothing left over from an older build).
      for (const js of files.filter((f) => f.startsWith("dist/") && f.endsWith(".js"))) {
        expect(shipped.has(js.replace(/^dist\//, "src/").replace(/\.js$/, ".ts")), `${name}: ${js}`).toBe(true);
      }
    }
  });

  it("resolves from the project's node_modules, not the repository; internals are not exported", () => {
    const out = spawnSync(
      process.execPath,
      ["-e", `console.log(JSON.stringify(["@liverelay/sdk", "@liverelay/api", "zod", "axios"].map((m) => require("fs").realpathSync(require.resolve(m))))); try { require("@liverelay/sdk/dist/http.js") } catch (e) { console.log(JSON.stringify(e.code)) }`],
      { cwd: project, encoding: "utf8" },
    );
    const [where, code] = out.stdout.trim().split("\n").map((l) => JSON.parse(l) as unknown);
    for (const p of where as string[]) expect(p.startsWith(fs.realpathSync(project))).toBe(true);
    expect(code).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });

  it.each([
    ["ESM", "esm.mts", 'import { createClient, LiveRelayAbortError, NotFoundError, redactUrl, type RelayStatus, type RelayTemplate } from "@liverelay/sdk";', "esm.mjs"],
    ["CommonJS", "cjs.cts", 'import { createClient, LiveRelayAbortError, NotFoundError, redactUrl, type RelayStatus, type RelayTemplate } from "@liverelay/sdk";\nexport {};', "cjs.cjs"],
  ])("%s: compiles with strict NodeNext TypeScript and runs against the service", (kind, source, importLine, output) => {
    fs.writeFileSync(path.join(project, source), program(importLine));
    const tsc = spawnSync(
      process.execPath,
      [TSC, "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--skipLibCheck", "false", "--typeRoots", path.join(REPO_ROOT, "node_modules", "@types"), "--types", "node", source],
      { cwd: project, encoding: "utf8", timeout: 300_000 },
    );
    expect(tsc.stdout + tsc.stderr).toBe("");
    const compiled = fs.readFileSync(path.join(project, output), "utf8");
    expect(compiled).toContain(kind === "ESM" ? 'from "@liverelay/sdk"' : 'require("@liverelay/sdk")');
    const res = spawnSync(process.execPath, [output], { cwd: project, encoding: "utf8", timeout: 60_000, env: { ...process.env, E: svc.url, T: svc.token, KIND: kind } });
    expect(res.stderr).toBe("");
    expect(JSON.parse(res.stdout.trim())).toEqual({
      start: "2030-01-01T09:00:00Z",
      ids: [expect.stringMatching(/^rt_/)],
      hasNext: false,
      state: "inactive",
      notFound: "NotFound",
      aborted: "LiveRelayAbortError",
      redacted: "rtmp://h/live/***",
    });
  }, 400_000);
});
