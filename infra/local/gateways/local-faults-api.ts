/**
 * `/local/faults`: the fault switches of the local AWS edge (aws/fault-switches.ts) over HTTP.
 *   GET    /local/faults        200 {faults:[…]}
 *   POST   /local/faults        201 the fault; body {service, kind, count?, action?}
 *   DELETE /local/faults        204, every switch cleared (held calls released)
 *   DELETE /local/faults/{id}   204, or 404 when no switch has that id
 */
import * as z from "zod";
import { notFound } from "#shared/http/errors.ts";
import { FAULT_KINDS, FAULT_SERVICES, type FaultSwitches } from "../aws/fault-switches.ts";
import type { LocalRoute } from "./local-api.ts";

export const faultSpecSchema = z.strictObject({
  service: z.enum(FAULT_SERVICES),
  kind: z.enum(FAULT_KINDS),
  count: z.int().positive().max(1_000_000).optional(),
  action: z
    .string()
    .regex(/^[A-Z][A-Za-z0-9]{0,63}$/, "an AWS API action name, such as SendEmail or SendMessage")
    .optional(),
});

export function localFaultsRoutes(faults: FaultSwitches): LocalRoute[] {
  return [
    {
      method: "GET",
      path: /^\/local\/faults\/?$/,
      handle: () => ({ status: 200, body: { faults: faults.list() } }),
    },
    {
      method: "POST",
      path: /^\/local\/faults\/?$/,
      handle: async (request) => ({ status: 201, body: faults.add(await request.json(faultSpecSchema)) }),
    },
    {
      method: "DELETE",
      path: /^\/local\/faults\/?$/,
      handle: () => {
        faults.clear();
        return { status: 204 };
      },
    },
    {
      method: "DELETE",
      path: /^\/local\/faults\/([^/]+)$/,
      handle: ({ params }) => {
        const id = params[0] ?? "";
        if (!faults.remove(id)) throw notFound(`No fault switch ${JSON.stringify(id.slice(0, 64))} is on.`);
        return { status: 204 };
      },
    },
  ];
}
