import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type * as automation from "@pulumi/pulumi/automation";
import type { ServiceHandle } from "../helpers/service";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** Built by `bash scripts/setup-pulumi.sh` (npm run setup:pulumi). */
export const PULUMI_ROOT = path.join(REPO_ROOT, ".tools", "pulumi");
export const PULUMI_BIN = path.join(PULUMI_ROOT, "bin");
export const PULUMI_VERSION = "3.248.0";

/** A stream key that must never appear in plaintext anywhere. */
export const STREAM_KEY = "sk-live-7f3a9c21d4e8b6a0";
/** Pulumi's marker of a secret value in an exported deployment. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

export function pulumiMissingReason(): string | undefined {
  const cli = path.join(PULUMI_BIN, "pulumi");
  const launcher = path.join(PULUMI_BIN, "pulumi-resource-pulumi-nodejs");
  if (!fs.existsSync(cli)) return `${cli} not found: run \`npm run setup:pulumi\``;
  if (!fs.existsSync(launcher)) return `${launcher} not found: run \`npm run setup:pulumi\` after \`npm ci\``;
  return undefined;
}

/**
 * Loaded with Node's own `require`, not through vitest's module graph: the inline program runs in
 * this process, and Pulumi's closure serializer needs the real CommonJS modules (and one single
 * instance of @pulumi/pulumi shared by the Automation API and @liverelay/pulumi).
 */
export function loadAutomation(): typeof automation {
  return require("@pulumi/pulumi/automation") as typeof automation;
}

export function loadProviderPackage(): typeof import("@liverelay/pulumi") {
  return require("@liverelay/pulumi") as typeof import("@liverelay/pulumi");
}

export interface PulumiEnv {
  /** file:// backend, PULUMI_HOME and the rest: deleted by cleanup(). */
  tmpDir: string;
  backendDir: string;
  /**
   * The project directory. Inside the repository on purpose: the dynamic-provider process runs
   * there and resolves the provider's `require("@liverelay/sdk")` from /work/main/node_modules.
   */
  workDir: string;
  envVars: Record<string, string>;
  command: automation.PulumiCommand;
  cleanup(): void;
}

export async function pulumiEnv(projectName: string): Promise<PulumiEnv> {
  const { PulumiCommand } = loadAutomation();
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "liverelay-pulumi-"));
  const backendDir = path.join(tmpDir, "backend");
  fs.mkdirSync(backendDir);
  const workRoot = path.join(__dirname, ".work");
  fs.mkdirSync(workRoot, { recursive: true });
  const workDir = fs.mkdtempSync(path.join(workRoot, `${projectName}-`));
  const envVars: Record<string, string> = {
    PULUMI_BACKEND_URL: `file://${backendDir}`,
    PULUMI_CONFIG_PASSPHRASE: "liverelay-e2e-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_HOME: path.join(tmpDir, "home"),
    PATH: `${PULUMI_BIN}${path.delimiter}${process.env.PATH ?? ""}`,
    // Make sure the provider reads its connection from the stack config, not from the test's env.
    LIVERELAY_ENDPOINT: "",
    LIVERELAY_TOKEN: "",
  };
  const command = await PulumiCommand.get({ root: PULUMI_ROOT });
  return {
    tmpDir,
    backendDir,
    workDir,
    envVars,
    command,
    cleanup() {
      fs.rmSync(workDir, { recursive: true, force: true });
      fs.rmSync(tmpDir, { recursive: true, force: true });
    },
  };
}

/** An inline-program stack in `env`, configured for `service` (token as a secret) unless `configure` is false. */
export async function inlineStack(
  env: PulumiEnv,
  opts: { projectName: string; stackName: string; program: automation.PulumiFn; service?: Pick<ServiceHandle, "url" | "token"> },
): Promise<automation.Stack> {
  const { LocalWorkspace } = loadAutomation();
  const stack = await LocalWorkspace.createOrSelectStack(
    { projectName: opts.projectName, stackName: opts.stackName, program: opts.program },
    {
      workDir: env.workDir,
      pulumiCommand: env.command,
      envVars: env.envVars,
      projectSettings: { name: opts.projectName, runtime: "nodejs" },
    },
  );
  if (opts.service) {
    await stack.setConfig("liverelay:endpoint", { value: opts.service.url });
    await stack.setConfig("liverelay:token", { value: opts.service.token, secret: true });
  }
  return stack;
}

/** Every file under dir (recursively). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

/**
 * Paths (a.b.c) of every string in `value` that contains one of `needles` outside a secret
 * envelope (`{ "4dabf…": "1b47…", plaintext: … }`, which `stack export --show-secrets` produces).
 */
export function plaintextOccurrences(value: unknown, needles: string[], at = "$"): string[] {
  if (typeof value === "string") return needles.some((n) => value.includes(n)) ? [at] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => plaintextOccurrences(v, needles, `${at}[${i}]`));
  if (value && typeof value === "object") {
    if (SECRET_SIG in value) return [];
    return Object.entries(value).flatMap(([k, v]) => plaintextOccurrences(v, needles, `${at}.${k}`));
  }
  return [];
}

export const isoIn = (ms: number) => new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, "Z");
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The engine's `error:` lines of a failed command (what a user sees). */
export const errorLines = (err: Error | undefined) => [...new Set(String(err?.message).split("\n").filter((l) => l.includes("error:")).map((l) => l.trim()))];

/** An update summary without its `same` count: only what changed. */
export const changes = (summary: Record<string, number> | undefined) => {
  const { same: _same, ...rest } = summary ?? {};
  return rest;
};

/** Parent pid and command name of every process (Linux /proc). */
function processTable(): { pid: number; ppid: number; comm: string }[] {
  const out: { pid: number; ppid: number; comm: string }[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      out.push({ pid: Number(entry), ppid, comm });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * SIGKILLs the `pulumi` CLI processes this test process started (the Automation API spawns one per
 * operation) and everything they started (the dynamic-provider plugin): a crash mid-deployment.
 * Returns how many processes were killed.
 */
export function killPulumiRuns(): number {
  const table = processTable();
  const doomed = new Set(table.filter((p) => p.ppid === process.pid && p.comm === "pulumi").map((p) => p.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of table) {
      if (doomed.has(p.ppid) && !doomed.has(p.pid)) {
        doomed.add(p.pid);
        grew = true;
      }
    }
  }
  for (const pid of doomed) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return doomed.size;
}

/** The stack's checkpoint file in a file backend, and the number of resources in it. */
export function stateFile(env: PulumiEnv, project: string, stack: string): { bytes: number; resources: number } {
  const file = path.join(env.backendDir, ".pulumi", "stacks", project, `${stack}.json`);
  const text = fs.readFileSync(file, "utf8");
  const deployment = (JSON.parse(text) as { checkpoint: { latest?: { resources?: unknown[] } } }).checkpoint.latest;
  return { bytes: Buffer.byteLength(text), resources: deployment?.resources?.length ?? 0 };
}

/**
 * A project outside the repository with `npm pack`ed @liverelay/api, @liverelay/sdk and @liverelay/pulumi and
 * @pulumi/pulumi@`pulumiVersion` installed: $TMPDIR/<dirName>/<hash of the tarballs and the
 * version>, reused while they do not change. `env` is npm's environment (e.g. another Node first
 * on the PATH).
 */
export function packedProject(dirName: string, pulumiVersion: string, env: NodeJS.ProcessEnv = process.env): string {
  const run = (cmd: string, args: string[], cwd: string) =>
    execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 480_000 });
  run("npx", ["tsc", "-b", "api", "sdk", "provider"], REPO_ROOT);
  const packDir = fs.mkdtempSync(path.join(os.tmpdir(), "liverelay-pack-"));
  try {
    const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", packDir, "--workspace", "api", "--workspace", "sdk", "--workspace", "provider"], REPO_ROOT)) as { filename: string }[];
    const tarballs = packed.map((p) => path.join(packDir, path.basename(p.filename)));
    const hash = crypto.createHash("sha256").update(pulumiVersion);
    for (const t of tarballs) hash.update(fs.readFileSync(t));
    const project = path.join(os.tmpdir(), dirName, hash.digest("hex").slice(0, 16));
    if (fs.existsSync(path.join(project, "node_modules", ".installed"))) return project;
    fs.rmSync(project, { recursive: true, force: true });
    fs.mkdirSync(project, { recursive: true });
    const deps: Record<string, string> = { "@pulumi/pulumi": pulumiVersion };
    for (const t of tarballs) {
      fs.copyFileSync(t, path.join(project, path.basename(t)));
      deps[`@liverelay/${path.basename(t).replace(/^liverelay-(\w+)-.*$/, "$1")}`] = `file:./${path.basename(t)}`;
    }
    fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: dirName, private: true, dependencies: deps }, null, 2));
    run("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], project);
    fs.writeFileSync(path.join(project, "node_modules", ".installed"), "");
    return project;
  } finally {
    fs.rmSync(packDir, { recursive: true, force: true });
  }
}
