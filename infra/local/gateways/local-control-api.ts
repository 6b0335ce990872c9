/**
 * The local runtime's control API (docs/local-api.md): fault switches, signed test webhooks and
 * the dead-letter queues, as one `/local/*` handler. Local only: the stack has no such routes.
 */
import type { FaultSwitches } from "../aws/fault-switches.ts";
import type { LocalLog } from "../functions/lambda-context.ts";
import { createLocalApi, type LocalApi } from "./local-api.ts";
import { type LocalDlqsOptions, localDlqsRoutes } from "./local-dlqs-api.ts";
import { localFaultsRoutes } from "./local-faults-api.ts";
import { type LocalWebhooksOptions, localWebhooksRoutes } from "./local-webhooks-api.ts";

export interface LocalControlApiOptions {
  readonly faults: FaultSwitches;
  readonly dlqs: LocalDlqsOptions;
  readonly webhooks: LocalWebhooksOptions;
  readonly log: LocalLog;
}

export function createLocalControlApi(options: LocalControlApiOptions): LocalApi {
  return createLocalApi(
    [
      ...localFaultsRoutes(options.faults),
      ...localDlqsRoutes(options.dlqs),
      ...localWebhooksRoutes(options.webhooks),
    ],
    options.log,
  );
}
