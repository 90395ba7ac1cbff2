import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "./service-process";

const FILE = path.join(REPO_ROOT, "docs", "benchmarks.md");

/** Replaces the text between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`, keeping the rest of the page. */
export function replaceSection(name: string, body: string): void {
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const current = fs.existsSync(FILE) ? fs.readFileSync(FILE, "utf8") : "# Benchmarks\n";
  const block = `${open}\n${body}\n${close}`;
  const pattern = new RegExp(`${open}[\\s\\S]*?${close}`);
  fs.writeFileSync(FILE, pattern.test(current) ? current.replace(pattern, block) : `${current.trimEnd()}\n\n${block}\n`);
}
