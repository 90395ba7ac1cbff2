export { startService, type RunningService } from "./service";
export { loadConfig, type Config } from "./conf/config";
export type { Store } from "./store/store";
export { SqliteStore } from "./store/sqlite/sqlite-store";
