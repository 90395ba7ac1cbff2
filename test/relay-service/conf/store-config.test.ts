import { describe, expect, it } from "vitest";
import { ConfigError, helpText, loadConfig } from "../../../relay-service/src/conf/config";

describe("--store / LIVERELAY_STORE", () => {
  it("defaults to SQLite in the data dir", () => {
    const config = loadConfig([], {});
    expect(config.store).toBeUndefined();
    expect(config.storeOnCommandLine).toBe(false);
  });

  it("takes a postgres:// URL from the flag or the environment, and says which", () => {
    expect(loadConfig(["--store", "postgres://liverelay@db.example.com:5432/relay"], {})).toMatchObject({ store: "postgres://liverelay@db.example.com:5432/relay", storeOnCommandLine: true });
    expect(loadConfig([], { LIVERELAY_STORE: "postgresql://liverelay@db/relay" })).toMatchObject({ store: "postgresql://liverelay@db/relay", storeOnCommandLine: false });
    expect(helpText()).toContain("--store");
  });

  it("refuses anything else with a message that does not repeat the value (it may hold a password)", () => {
    for (const bad of ["mysql://root:s3cret-pw@db/x", "s3cret-pw", "postgres://u:s3cret-pw@ db/x"]) {
      let err: unknown;
      try {
        loadConfig(["--store", bad], {});
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain("--store / LIVERELAY_STORE: must be a postgres://user@host:port/database URL");
      expect((err as Error).message).not.toContain("s3cret-pw");
    }
  });
});
