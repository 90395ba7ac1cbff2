#!/usr/bin/env node
import { ConfigError, helpText, loadConfig } from "./conf/config";
import { createLogger } from "./log/logger";
import { startService, VERSION, type RunningService } from "./service";

const EXIT_DEADLINE_MS = 5_000;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help" || rest.includes("--help")) {
    process.stdout.write(helpText());
    return command === undefined ? 1 : 0;
  }
  if (command === "--version") {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (command !== "serve") {
    process.stderr.write(`unknown command "${command}"\n\n${helpText()}`);
    return 2;
  }
  const config = loadConfig(rest);
  const logger = createLogger(config.logLevel);
  // Signals are watched before start-up so that one arriving mid-start still stops cleanly.
  // eslint-disable-next-line prefer-const -- the signal handler reads it before it is assigned (a const would throw there)
  let service: RunningService | undefined;
  let stopRequested: string | undefined;
  const shutdown = (signal: string) => {
    logger.info({ signal }, "signal received");
    setTimeout(() => process.exit(1), EXIT_DEADLINE_MS).unref();
    if (!service) {
      stopRequested = signal;
      return;
    }
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
  service = await startService(config, logger);
  if (stopRequested) shutdown(stopRequested);
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`liverelay: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`liverelay: failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
