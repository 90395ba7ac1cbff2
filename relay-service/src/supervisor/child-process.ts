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
  if (SETPRIV) return spawn(SETPRIV, ["--pdeathsig", "SIGKILL", "--", command, ...args], options);
  return spawn(command, args, options);
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
