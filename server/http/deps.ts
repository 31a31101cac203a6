import type { Logger } from "pino";
import type { AccessControl } from "../access/index.js";
import type { Config } from "../config.js";
import type { DocumentLockService } from "../locks/service.js";
import type { Metrics } from "../metrics.js";
import type { EventBus } from "../realtime/bus.js";
import type { RequestGuard } from "../realtime/guard.js";
import type { DataStore } from "../store/index.js";

/** Everything the HTTP routes use, built once by the composition root (server/app.ts). */
export interface HttpDeps {
  readonly config: Config;
  readonly data: DataStore;
  readonly access: AccessControl;
  readonly locks: DocumentLockService;
  readonly bus: EventBus;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Host / Origin checks shared with the WebSocket upgrade. */
  readonly guard: RequestGuard;
  /** Store and database reachable; used by /readyz. */
  readonly ready: () => Promise<void>;
}
