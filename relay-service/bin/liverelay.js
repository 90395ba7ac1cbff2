#!/usr/bin/env node
// The `liverelay` command. A committed shim rather than dist/cli.js itself, so that `npm ci`
// can link the bin on a fresh clone, before anything is built.
"use strict";
const path = require("node:path");
const fs = require("node:fs");

const cli = path.join(__dirname, "..", "dist", "cli.js");
if (!fs.existsSync(cli)) {
  process.stderr.write(`liverelay: not built yet (${cli} is missing). Run "npm run build" at the repository root first.\n`);
  process.exit(1);
}
require(cli);
