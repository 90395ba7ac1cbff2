import fs from "node:fs";
import puppeteer, { type Browser } from "puppeteer-core";

/** Debian's chromium (scripts/setup.sh installs it with the test packages). */
export const CHROMIUM = process.env.LIVERELAY_TEST_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Headless Chromium for testing the console in a real browser. `--no-sandbox` only here, in the
 * test harness: CI runs the suite as root, and Chromium refuses to start its sandbox as root.
 * The page under test is our own, served from loopback. `--disable-dev-shm-usage`: containers'
 * /dev/shm is often 64 MB, too small for Chromium's shared memory. Muted autoplay is allowed anyway;
 * the flag keeps a preview from waiting for a gesture.
 */
export function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh --test (it installs Debian's chromium)`);
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--mute-audio", "--autoplay-policy=no-user-gesture-required"],
  });
}
