import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const CLI = path.join(REPO_ROOT, "relay-service", "dist", "cli.js");

export interface ServiceOptions {
  /** Extra CLI flags, e.g. ["--max-destinations-per-domain", "2"]. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Reuse a data dir (restart persistence tests). */
  dataDir?: string;
  /** Pass --api-token; `null` lets the service generate one (or take LIVERELAY_API_TOKEN from `env`). */
  token?: string | null;
  readyTimeoutMs?: number;
}

export interface ServiceHandle {
  url: string;
  token: string;
  dataDir: string;
  process: ChildProcess;
  /** Every stdout/stderr line so far (JSON log lines and anything else). */
  output: string[];
  /** Log lines parsed as JSON. */
  logs(): Record<string, unknown>[];
  /** SIGTERM and wait for exit; resolves with the exit code and how long it took. */
  stop(): Promise<{ code: number | null; ms: number }>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** Field of the readiness log line (http, rtmpPort, …). */
  ready: Record<string, unknown>;
}

export const DEFAULT_TOKEN = "test-token-0123456789abcdef";

/** Starts the real service process on free ports and waits for its readiness line. */
export async function startService(opts: ServiceOptions = {}): Promise<ServiceHandle> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "liverelay-test-"));
  const token = opts.token === undefined ? DEFAULT_TOKEN : opts.token;
  const args = [CLI, "serve", "--host", "127.0.0.1", "--http-port", "0", "--rtmp-port", "0", "--srt-port", "0", "--data-dir", dataDir, "--log-level", "info"];
  if (token) args.push("--api-token", token);
  const child = spawn(process.execPath, [...args, ...(opts.args ?? [])], {
    env: { ...process.env, LIVERELAY_API_TOKEN: "", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service not ready in time:\n${output.join("\n")}`)), opts.readyTimeoutMs ?? 20_000);
    for (const stream of [child.stdout!, child.stderr!]) {
      readline.createInterface({ input: stream }).on("line", (line) => {
        output.push(line);
        const parsed = parseJson(line);
        if (parsed && typeof parsed.msg === "string" && parsed.msg.startsWith("liverelay ready")) {
          clearTimeout(timer);
          resolve(parsed);
        }
      });
    }
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before ready:\n${output.join("\n")}`));
    });
  });
  const resolvedToken = token || opts.env?.LIVERELAY_API_TOKEN || fs.readFileSync(path.join(dataDir, "api-token"), "utf8").trim();
  return {
    url: String(ready.http),
    token: resolvedToken,
    dataDir,
    process: child,
    output,
    ready,
    logs: () => output.map(parseJson).filter((l): l is Record<string, unknown> => l !== null),
    async stop() {
      const started = Date.now();
      if (child.exitCode === null) child.kill("SIGTERM");
      const code = await exited;
      return { code, ms: Date.now() - started };
    },
    async kill() {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

function parseJson(line: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(line);
    return v && typeof v === "object" ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A tiny fetch wrapper for API tests: JSON in, { status, headers, body } out. */
export function apiClient(service: Pick<ServiceHandle, "url" | "token">) {
  return async function call(method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(service.url + urlPath, {
      method,
      headers: {
        authorization: `Bearer ${service.token}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: res.status, headers: res.headers, body: json };
  };
}
