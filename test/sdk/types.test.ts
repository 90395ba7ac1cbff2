import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

// Type-level test: strict tsc over types/narrowing.ts, which holds the expectations (narrowing by
// `mode` and `state`, open enums, typed error codes, page types) as code and `@ts-expect-error`
// lines, against the built package's declarations (run `npm run build` first).
const REPO_ROOT = path.resolve(__dirname, "..", "..");

function tsc(file: string): { status: number | null; output: string } {
  const res = spawnSync(
    process.execPath,
    [require.resolve("typescript/bin/tsc"), "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--types", "node", file],
    { cwd: REPO_ROOT, encoding: "utf8", timeout: 120_000 },
  );
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

describe("SDK types", () => {
  it("narrow and stay open as types/narrowing.ts expects", () => {
    const { status, output } = tsc(path.join(__dirname, "types", "narrowing.ts"));
    expect(output).toBe("");
    expect(status).toBe(0);
  }, 120_000);
});
