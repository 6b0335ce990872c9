/**
 * The API's shapes, as types only: they come from the zod schemas the server validates with and
 * the OpenAPI document is generated from, so the client cannot drift from the server. Type-only
 * imports vanish at build time: the client's runtime code depends on nothing in the server.
 */
import type * as z from "zod/mini";
import type { emailAcceptedSchema, healthSchema, ticketSchema } from "#shared/contract/responses.ts";
import type { emailRequestSchema } from "#shared/email/request.ts";
import type { paymentListQuery, paymentListSchema, paymentSchema } from "#shared/payments/schema.ts";
import type { taskListQuery, taskListSchema, taskSchema } from "#shared/tasks/schema.ts";

export type Task = z.output<typeof taskSchema>;
export type TaskStatus = Task["status"];
export type TaskList = z.output<typeof taskListSchema>;
/** `limit` is coerced from the query string on the server, so its input type is `unknown` there. */
export type TaskListQuery = Omit<Partial<z.input<typeof taskListQuery>>, "limit"> & { limit?: number };
export type Payment = z.output<typeof paymentSchema>;
export type PaymentList = z.output<typeof paymentListSchema>;
export type PaymentListQuery = Omit<Partial<z.input<typeof paymentListQuery>>, "limit"> & { limit?: number };
export type PaymentProvider = Payment["provider"];
export type EmailRequest = z.input<typeof emailRequestSchema>;
export type EmailAccepted = z.output<typeof emailAcceptedSchema>;
export type RealtimeTicket = z.output<typeof ticketSchema>;
export type Health = z.output<typeof healthSchema>;
