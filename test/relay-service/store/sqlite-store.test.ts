import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe } from "vitest";
import { SqliteStore } from "../../../relay-service/src/store/sqlite/sqlite-store";
import { storeContract } from "./store-contract";

describe("Store contract: SQLite", () => {
  storeContract({
    sharedChanges: false, // one process owns the file: its feed tells of its own writes
    async freshData() {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "store-contract-")), "liverelay.db");
      return async () => new SqliteStore(file);
    },
  });
});
