import fs from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
  } catch {
    return 0;
  }
}

export interface Memory {
  rssMb: number;
  pssMb: number;
  privateMb: number;
}

export function memory(pid: number): Memory {
  try {
    const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? 0);
    return { rssMb: kb("Rss") / 1024, pssMb: kb("Pss") / 1024, privateMb: (kb("Private_Clean") + kb("Private_Dirty")) / 1024 };
  } catch {
    return { rssMb: 0, pssMb: 0, privateMb: 0 };
  }
}

export const sumMemory = (ms: Memory[]): Memory =>
  ms.reduce((a, m) => ({ rssMb: a.rssMb + m.rssMb, pssMb: a.pssMb + m.pssMb, privateMb: a.privateMb + m.privateMb }), { rssMb: 0, pssMb: 0, privateMb: 0 });

/** Direct children of a process (setpriv execs ffmpeg in place, so relay workers are children of the service). */
export function childPids(parent: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent) out.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** % of one core used by `pids` over `ms` milliseconds. */
export async function cpuPercent(pids: () => number[], ms: number): Promise<number> {
  const before = pids().map(cpuSeconds).reduce((a, b) => a + b, 0);
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, ms));
  const after = pids().map(cpuSeconds).reduce((a, b) => a + b, 0);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return ((after - before) / seconds) * 100;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
