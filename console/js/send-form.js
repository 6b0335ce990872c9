// The send-email form: POST /v1/emails, and the API's own problem+json shown where it applies:
// each entry of `errors` next to the field its `path` names, anything else above the form.

import { ApiError, describeError } from "./api.js";
import { busy, byId } from "./dom.js";

const FIELDS = ["to", "subject", "text", "html", "idempotency"];
// The API's field names → this form's field ids (the rest are reported above the form).
const FIELD_OF_PATH = { to: "to", subject: "subject", text: "text", html: "html" };

function fieldOf(path) {
  const head = String(path ?? "").split(".")[0];
  return FIELD_OF_PATH[head];
}

/** "to.2" → "address 3: …", so a list's entry is named as a person counts. */
function wordsFor(path, message) {
  const [head, index] = String(path).split(".");
  return head === "to" && index !== undefined && /^\d+$/.test(index)
    ? `Address ${Number(index) + 1}: ${message}`
    : message;
}

export function setUpSendForm({ api, timeline, realtime }) {
  const form = byId("send-form");
  const formError = byId("send-form-error");
  const result = byId("send-result");
  const input = (name) => byId(`send-${name}`);

  function clearErrors() {
    formError.hidden = true;
    formError.textContent = "";
    for (const name of FIELDS) {
      input(name).removeAttribute("aria-invalid");
      const el = byId(`send-${name}-error`);
      el.hidden = true;
      el.textContent = "";
    }
  }

  function showFieldError(name, message) {
    const el = byId(`send-${name}-error`);
    el.textContent = el.textContent ? `${el.textContent} ${message}` : message;
    el.hidden = false;
    input(name).setAttribute("aria-invalid", "true");
  }

  function showProblem(error) {
    const problem = error instanceof ApiError ? error.problem : undefined;
    const rest = [];
    for (const e of problem?.errors ?? []) {
      const field = fieldOf(e.path);
      if (field) showFieldError(field, wordsFor(e.path, e.message));
      else rest.push(e.path ? `${e.path}: ${e.message}` : e.message);
    }
    // A reused or in-flight Idempotency-Key (422, 409) is about that field.
    if (typeof problem?.type === "string" && problem.type.includes("/idempotency-key")) {
      showFieldError("idempotency", problem.detail ?? problem.title);
    }
    if (error instanceof ApiError && error.status === 400 && problem?.errors && rest.length === 0) {
      formError.textContent = `${problem.title}: fix the fields marked below.`;
    } else {
      formError.textContent = [describeError(error), ...rest].join(" ");
    }
    formError.hidden = false;
    const firstInvalid = form.querySelector('[aria-invalid="true"]');
    (firstInvalid ?? formError).focus?.();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    void busy(button, async () => {
      clearErrors();
      result.textContent = "";
      const recipients = input("to")
        .value.split(/[,\n]/)
        .map((s) => s.trim())
        .filter(Boolean);
      const body = {
        to: recipients.length === 1 ? recipients[0] : recipients,
        subject: input("subject").value,
      };
      if (input("text").value) body.text = input("text").value;
      if (input("html").value) body.html = input("html").value;
      const key = input("idempotency").value.trim();
      // The connection is open before the POST, so the subscribe follows the 202 at once and the
      // first transitions are pushed rather than missed.
      await realtime.ready(2000);
      try {
        const accepted = await api.post(
          "/v1/emails",
          body,
          key ? { headers: { "idempotency-key": key } } : {},
        );
        result.textContent = `Queued as ${accepted.taskId}.`;
        timeline.watch(accepted.taskId, { to: body.to, subject: body.subject }, accepted);
      } catch (error) {
        showProblem(error);
      }
    });
  });
}
