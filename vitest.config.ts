import { defineConfig } from "vitest/config";

// Tests start real processes (the service, ffmpeg, the Pulumi engine), so they run
// one file at a time on this 2-core machine and get generous timeouts.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    // Under CI, also a JSON report that .ci/run turns into a plain "N passed, N failed" line.
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: process.env.CI ? { json: ".ci/results.json" } : undefined,
    // The built workspace packages are loaded by Node itself, as users get them: their ES module
    // entry (dist/index.mjs) wraps the CommonJS build, which vite's own loader does not link.
    server: { deps: { external: [/\/(api|sdk|provider)\/dist\//] } },
  },
});
