import type { RecipientDelivery } from "#shared/delivery/state.ts";

/**
 * The task record clients see (DESIGN.md "Task") and the rules for moving it forward.
 * Transitions are ordered by (attempt, phase) so a late or duplicated update can never move a
 * task backwards: subscribers see a monotonic sequence.
 */
export const TASK_STATUSES = ["queued", "processing", "retrying", "succeeded", "failed"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** A task that will not change state again. */
export const isTerminal = (status: TaskStatus): boolean => status === "succeeded" || status === "failed";

export interface TaskError {
  readonly code: string;
  readonly message: string;
}

export interface Task {
  readonly id: string;
  readonly type: "email";
  readonly status: TaskStatus;
  /** Send attempts started so far. */
  readonly attempts: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly result?: { readonly messageId: string };
  readonly error?: TaskError;
  /** When status is `retrying`: when the next attempt is due. */
  readonly nextAttemptAt?: string;
  /**
   * Per recipient (normalized address), what SES reported after the send: sent, delivered,
   * delayed, bounced or complained (shared/delivery/). Absent until the first SES event.
   */
  readonly delivery?: Readonly<Record<string, RecipientDelivery>>;
  /** Monotonic version, incremented by every accepted transition (ordering for pushes). */
  readonly version: number;
}

/** A transition request: the status the caller wants and the attempt it belongs to. */
export type TaskTransition =
  | { readonly status: "processing"; readonly attempt: number }
  | {
      readonly status: "retrying";
      readonly attempt: number;
      readonly error: TaskError;
      readonly nextAttemptAt: string;
    }
  | { readonly status: "succeeded"; readonly attempt: number; readonly messageId: string }
  | { readonly status: "failed"; readonly attempt: number; readonly error: TaskError };
