/**
 * SES events as EventBridge delivers them to the events queue (the same builder the local
 * mailbox simulator uses, so tests and the runtime speak one envelope).
 */
export { type SesEventInput, sesEvent } from "#infra/local/aws/ses-events.ts";
