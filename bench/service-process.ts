import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface BenchService {
  url: string;
  rtmpPort: number;
  srtPort: number;
  token: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the built service on free ports with a throwaway data dir (logs at warn: benches measure the API, not the terminal). */
export async function startBenchService(extraArgs: string[] = []): Promise<BenchService> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "liverelay-bench-"));
  const token = "bench-token-0123456789abcdef";
  const cli = path.join(REPO_ROOT, "relay-service", "dist", "cli.js");
  const args = [cli, "serve", "--host", "127.0.0.1", "--http-port", "0", "--rtmp-port", "0", "--srt-port", "0", "--data-dir", dataDir, "--api-token", token, "--log-level", "info", ...extraArgs];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  const ready = await new Promise<{ http: string; rtmpPort: number; srtPort: number }>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`service exited with ${code}`)));
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.includes("liverelay ready")) resolve(JSON.parse(line) as { http: string; rtmpPort: number; srtPort: number });
    });
  });
  return {
    url: ready.http,
    rtmpPort: ready.rtmpPort,
    srtPort: ready.srtPort,
    token,
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", () => {
          fs.rmSync(dataDir, { recursive: true, force: true });
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

/** CPU model and core count, for the header of a results table. */
export function machineLine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? "unknown CPU"}, Node ${process.version}, ${os.platform()} ${os.release()}`;
}
