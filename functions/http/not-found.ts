/** API Gateway's `$default` route: any path no route matches gets a 404 problem+json. */
import { core } from "#shared/app/core.ts";
import { notFound } from "#shared/http/errors.ts";
import { httpHandler } from "#shared/http/handler.ts";

export const handler = httpHandler(core.functions.notFound, {
  handle: async ({ event }) => {
    throw notFound(`No route for ${event.requestContext.http.method} ${event.rawPath}.`);
  },
});
