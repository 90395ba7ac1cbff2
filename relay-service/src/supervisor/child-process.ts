import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import fs from "node:fs";

/**
 * Spawns a child that cannot outlive the service. Two independent guards:
 * - `setpriv --pdeathsig SIGKILL` (util-linux) asks the kernel to kill the child when the
 *   service dies, even by SIGKILL;
 * - the child's input is a pipe from the service, so it also reads EOF and finishes.
 */
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => fs.existsSync(p));

export function spawnSupervised(command: string, args: string[], options: SpawnOptions): ChildProcess {
  // options.env adds to the minimal environment; it never replaces it with the service's own.
  const withEnv = { ...options, env: { ...childEnv(), ...options.env } };
  if (SETPRIV) return spawn(SETPRIV, ["--pdeathsig", "SIGKILL", "--", command, ...args], withEnv);
  return spawn(command, args, withEnv);
}

/**
 * What the service's environment may pass on to a child: finding programs and libraries,
 * locale, time zone, temp dir and TLS trust. Never the rest: the service's own settings
 * (LIVERELAY_API_TOKEN above all) would be readable in /proc/<pid>/environ of every worker.
 */
const INHERITED_ENV = ["PATH", "HOME", "TMPDIR", "TZ", "LANG", "LC_ALL", "LC_CTYPE", "LD_LIBRARY_PATH", "SSL_CERT_FILE", "SSL_CERT_DIR"];

export function childEnv(from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of INHERITED_ENV) if (from[name] !== undefined) env[name] = from[name];
  return env;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
export function terminate(child: ChildProcess, graceMs = 2_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
