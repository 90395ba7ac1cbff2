import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, startService, type ServiceHandle } from "../../helpers/service";

// schemathesis (PyPI, pinned in scripts/setup.sh --test, in .tools/venv) fuzzes the real service
// from its own /openapi.json: every check, a bounded number of examples, no failure allowed.
// The few schemathesis settings with a reason to exist are in schemathesis.toml beside this file.
const SCHEMATHESIS = path.join(REPO_ROOT, ".tools", "venv", "bin", "schemathesis");
const CONFIG = path.join(__dirname, "schemathesis.toml");
const MAX_EXAMPLES = process.env.LIVERELAY_FUZZ_EXAMPLES ?? "5";
const SEED = process.env.LIVERELAY_FUZZ_SEED ?? "1"; // fixed: a failure reproduces; override to explore

describe("schemathesis against /openapi.json", () => {
  let svc: ServiceHandle;
  beforeAll(async () => {
    svc = await startService({ args: ["--log-level", "warn"] });
  });
  afterAll(() => svc?.stop());

  it("finds no server error and no contract mismatch", async () => {
    expect(fs.existsSync(SCHEMATHESIS), `${SCHEMATHESIS} is missing: run scripts/setup.sh --test`).toBe(true);
    const args = ["--config-file", CONFIG, "run", `${svc.url}/openapi.json`, "--checks", "all", "--max-examples", MAX_EXAMPLES, "--seed", SEED, "--no-color"];
    // The token goes through the environment (schemathesis.toml reads it), not the command line.
    // Run from a temporary directory: schemathesis keeps a cache (.schemathesis/) where it runs.
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "liverelay-fuzz-"));
    const child = spawn(SCHEMATHESIS, args, { cwd, env: { ...process.env, LIVERELAY_FUZZ_TOKEN: svc.token }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    fs.rmSync(cwd, { recursive: true, force: true });
    expect(code, output).toBe(0);
    expect(output).toMatch(/\d+ passed/);
    expect(output).not.toMatch(/failures?\b.*\bin \d/);
  }, 400_000); // ~50 s on an idle 2-core box; generous for a loaded one
});
