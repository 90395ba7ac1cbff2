// Puts the operator console's static files beside its compiled scripts (tsc -b relay-service/console
// writes those): the page and styles from relay-service/console, and hls.js's browser build from
// node_modules, so the page loads its player from the service's own origin, never a CDN.
// Usage: node scripts/console-assets.js
/* global require, __dirname */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const source = path.resolve(__dirname, "..", "relay-service", "console");
const out = path.resolve(__dirname, "..", "relay-service", "dist", "console");
fs.mkdirSync(out, { recursive: true });
for (const name of ["index.html", "console.css", "favicon.svg"]) fs.copyFileSync(path.join(source, name), path.join(out, name));
// The light build: playback only (no subtitles, alternate audio or DRM), half the size.
const hls = require.resolve("hls.js/dist/hls.light.min.js", { paths: [path.join(source, "..")] });
fs.copyFileSync(hls, path.join(out, "hls.light.min.js"));
