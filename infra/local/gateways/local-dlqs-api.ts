/**
 * `/local/dlqs`: the local dead-letter queues over HTTP, with the same operations as
 * `npm run dlq` (shared/queues/dead-letters.ts), against the SQS emulator directly (not through
 * the AWS edge, so a fault switch never gets in the way of looking at what failed).
 *   GET  /local/dlqs                            200 {queues:[{name, queue, url, depth}]}
 *   GET  /local/dlqs/{name}/messages?limit=10   200 {messages:[…]}: a peek; nothing is consumed
 *   POST /local/dlqs/{name}/redrive             200 {moved}: back to the queue they came from
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import * as z from "zod";
import type { QueueName } from "#shared/app/manifest.ts";
import { notFound } from "#shared/http/errors.ts";
import { parseWith } from "#shared/http/json-body.ts";
import { type DeadLetterQueue, depth, peek, resendAll } from "#shared/queues/dead-letters.ts";
import type { EmulatedQueue } from "../aws/sqs-emulator.ts";
import type { LocalRoute } from "./local-api.ts";

export interface LocalDlqsOptions {
  readonly sqs: SQSClient;
  readonly queues: Partial<Record<QueueName, EmulatedQueue>>;
  readonly fifo: (name: QueueName) => boolean;
}

const limitSchema = z.object({
  limit: z.coerce.number().int().min(1).max(10).default(10),
});

/** `http://…/000000000000/ferry-emails-dlq` → `ferry-emails-dlq`. */
const queueNameOf = (url: string) => url.slice(url.lastIndexOf("/") + 1);

export function localDlqsRoutes(options: LocalDlqsOptions): LocalRoute[] {
  const known = (Object.entries(options.queues) as [QueueName, EmulatedQueue | undefined][]).flatMap(
    ([name, q]): DeadLetterQueue[] =>
      q ? [{ name, url: q.url, dlqUrl: q.dlqUrl, fifo: options.fifo(name) }] : [],
  );
  const named = (name: string): DeadLetterQueue => {
    const queue = known.find((q) => q.name === name);
    if (!queue) {
      throw notFound(
        `No dead-letter queue ${JSON.stringify(name.slice(0, 64))}; there are: ${known.map((q) => q.name).join(", ")}.`,
      );
    }
    return queue;
  };

  return [
    {
      method: "GET",
      path: /^\/local\/dlqs\/?$/,
      handle: async () => ({
        status: 200,
        body: {
          queues: await Promise.all(
            known.map(async (q) => ({
              name: q.name,
              queue: queueNameOf(q.dlqUrl),
              url: q.dlqUrl,
              depth: await depth(options.sqs, q.dlqUrl),
            })),
          ),
        },
      }),
    },
    {
      method: "GET",
      path: /^\/local\/dlqs\/([^/]+)\/messages$/,
      handle: async ({ params, query }) => {
        const queue = named(params[0] ?? "");
        const { limit } = parseWith(limitSchema, Object.fromEntries(query));
        const messages = await peek(options.sqs, queue.dlqUrl, limit);
        return {
          status: 200,
          body: {
            messages: messages.map((m) => ({
              messageId: m.MessageId ?? "",
              body: m.Body ?? "",
              receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
              sentAt: new Date(Number(m.Attributes?.SentTimestamp ?? 0)).toISOString(),
              attributes: Object.fromEntries(
                Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? null]),
              ),
            })),
          },
        };
      },
    },
    {
      method: "POST",
      path: /^\/local\/dlqs\/([^/]+)\/redrive$/,
      handle: async ({ params }) => {
        const queue = named(params[0] ?? "");
        return { status: 200, body: { moved: await resendAll(options.sqs, queue) } };
      },
    },
  ];
}
