/**
 * npm run bench:pulumi — `pulumi up` and `pulumi destroy` of 50, 100 and 200 relay templates in
 * one domain, through the real engine (the Pulumi CLI in .tools/pulumi, an Automation API inline
 * program, a file backend) against the real service. Reports the time per template (linear if it
 * stays flat) and the checkpoint bytes per resource. Baseline in the same run: the 200-template up
 * and destroy with checkpoints off (PULUMI_SKIP_CHECKPOINTS), i.e. what writing the state costs.
 * Writes the table into docs/benchmarks.md (between the pulumi markers).
 *
 * BENCH_PULUMI_COUNTS=20,40 makes a quick trial.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type * as automation from "@pulumi/pulumi/automation";
import { machineLine, REPO_ROOT, startBenchService, type BenchService } from "./service-process";
import { replaceSection } from "./report";

const COUNTS = (process.env.BENCH_PULUMI_COUNTS ?? "50,100,200").split(",").map(Number);
const PROJECT = "liverelay-bench";
const PULUMI_ROOT = path.join(REPO_ROOT, ".tools", "pulumi");

interface Row {
  name: string;
  count: number;
  upS: number;
  destroyS: number;
  stateBytesPerResource?: number;
}

// Node's own require: the inline program and the Automation API must share one @pulumi/pulumi.
const auto = require("@pulumi/pulumi/automation") as typeof automation;

function program(count: number): automation.PulumiFn {
  return async () => {
    const { RelayTemplate } = require("@liverelay/pulumi") as typeof import("@liverelay/pulumi");
    for (let i = 0; i < count; i++) {
      new RelayTemplate(`t${i}`, {
        domain: "bench.example.com", appName: "live", streamName: `s${i}`,
        destinationUrl: `rtmp://ingest.example.net/live/key-${i}`, mode: "always",
      });
    }
  };
}

async function measure(svc: BenchService, backend: string, workDir: string, count: number, skipCheckpoints: boolean): Promise<Row> {
  const command = await auto.PulumiCommand.get({ root: PULUMI_ROOT });
  const stackName = `n${count}${skipCheckpoints ? "-nockpt" : ""}`;
  const envVars: Record<string, string> = {
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: "bench",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_HOME: path.join(backend, "..", "home"),
    PATH: `${path.join(PULUMI_ROOT, "bin")}${path.delimiter}${process.env.PATH ?? ""}`,
    ...(skipCheckpoints ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {}),
  };
  const stack = await auto.LocalWorkspace.createOrSelectStack(
    { projectName: PROJECT, stackName, program: program(count) },
    { workDir, pulumiCommand: command, envVars, projectSettings: { name: PROJECT, runtime: "nodejs" } },
  );
  await stack.setConfig("liverelay:endpoint", { value: svc.url });
  await stack.setConfig("liverelay:token", { value: svc.token, secret: true });
  let t = Date.now();
  const up = await stack.up();
  const upS = (Date.now() - t) / 1000;
  if (up.summary.resourceChanges?.create !== count + 1) throw new Error(`up created ${JSON.stringify(up.summary.resourceChanges)}`);
  const file = path.join(backend, ".pulumi", "stacks", PROJECT, `${stackName}.json`);
  const stateBytesPerResource = skipCheckpoints ? undefined : Math.round(fs.statSync(file).size / (count + 1));
  t = Date.now();
  await stack.destroy();
  const destroyS = (Date.now() - t) / 1000;
  await stack.workspace.removeStack(stackName);
  const name = skipCheckpoints ? `${count} templates, checkpoints off (baseline)` : `${count} templates`;
  console.log(`${name}: up ${upS.toFixed(1)} s, destroy ${destroyS.toFixed(1)} s${stateBytesPerResource ? `, ${stateBytesPerResource} B/resource` : ""}`);
  return { name, count, upS, destroyS, stateBytesPerResource };
}

function table(rows: Row[]): string {
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()}, Pulumi CLI 3.248.0, file backend.`,
    "",
    "| stack | up | up per template | destroy | destroy per template | checkpoint per resource |",
    "|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    const perUp = ((r.upS * 1000) / r.count).toFixed(0);
    const perDestroy = ((r.destroyS * 1000) / r.count).toFixed(0);
    const state = r.stateBytesPerResource === undefined ? "—" : `${(r.stateBytesPerResource / 1024).toFixed(1)} KB`;
    lines.push(`| ${r.name} | ${r.upS.toFixed(1)} s | ${perUp} ms | ${r.destroyS.toFixed(1)} s | ${perDestroy} ms | ${state} |`);
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(PULUMI_ROOT, "bin", "pulumi"))) throw new Error("no .tools/pulumi/bin/pulumi: run `npm run setup:pulumi`");
  const svc = await startBenchService();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "liverelay-bench-pulumi-"));
  const backend = path.join(tmp, "backend");
  fs.mkdirSync(backend);
  // Inside the repository: the dynamic-provider process resolves @liverelay/pulumi from here.
  const workDir = fs.mkdtempSync(path.join(REPO_ROOT, "bench", ".work-"));
  const rows: Row[] = [];
  try {
    for (const count of COUNTS) rows.push(await measure(svc, backend, workDir, count, false));
    rows.push(await measure(svc, backend, workDir, Math.max(...COUNTS), true));
  } finally {
    await svc.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  replaceSection("pulumi", table(rows));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
