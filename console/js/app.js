// The console's entry point: reads the settings, finds out what the target offers (the local
// runtime has /local/*; a deployed stack does not), and wires the panels together. Lists refresh
// on a user's action, after an action that changes them, and when a WebSocket update arrives;
// the timeline itself is pushed, never polled.

import { ApiError, createApi, describeError } from "./api.js";
import { createDlqsPanel } from "./dlqs.js";
import { badge, busy, byId, fill, h } from "./dom.js";
import { createHealthPanel } from "./health.js";
import { createOutboxPanel } from "./outbox.js";
import { createPaymentsPanel } from "./payments.js";
import { Realtime } from "./realtime.js";
import { setUpSendForm } from "./send-form.js";
import { clearSettings, loadDefaults, loadSettings, normaliseBaseUrl, saveSettings } from "./settings.js";
import { Timeline } from "./timeline.js";
import { setUpFaults, setUpWebhookButtons } from "./tools.js";

/** Calls `run` once, `ms` after the last of a burst of calls. */
function debounce(run, ms) {
  let timer;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(run, ms);
  };
}

/** Runs `run` a few times over the next seconds: for work the API finishes after answering. */
function followUp(run, delays = [300, 1200, 3000, 6000]) {
  for (const ms of delays) setTimeout(run, ms);
}

function showWsState(state, detail) {
  const el = byId("ws-status");
  const tone = { open: "ok", connecting: "warn", closed: "bad", error: "bad" }[state];
  el.dataset.tone = tone ?? "info";
  el.textContent = `WebSocket: ${state}${detail ? ` (${detail})` : ""}`;
}

function showTarget(settings, isLocal) {
  byId("target-summary").textContent = isLocal
    ? `Local runtime at ${settings.apiBaseUrl}`
    : `Deployed stack at ${settings.apiBaseUrl}`;
  const note = byId("remote-note");
  note.hidden = isLocal;
  note.textContent = isLocal
    ? ""
    : "Against a deployed stack: the outbox, the dead-letter queues and the test tools (webhooks, SES faults) " +
      "exist only in the local runtime and are unavailable here. Lists refresh when you press Refresh or when a " +
      "task update arrives over the WebSocket.";
  for (const el of document.querySelectorAll(".local-only")) el.hidden = !isLocal;
  for (const el of document.querySelectorAll(".unavailable")) el.hidden = isLocal;
}

function setUpSettingsForm(settings, defaults) {
  const form = byId("settings-form");
  const api = byId("settings-api");
  const key = byId("settings-key");
  api.value = settings.apiBaseUrl;
  key.value = settings.apiKey;
  const apiError = byId("settings-api-error");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const apiBaseUrl = normaliseBaseUrl(api.value) || defaults.apiBaseUrl;
    let protocol;
    try {
      protocol = new URL(apiBaseUrl).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol !== "http:" && protocol !== "https:") {
      apiError.textContent =
        "Enter the API's http(s) URL, such as https://abc123.execute-api.eu-west-1.amazonaws.com.";
      apiError.hidden = false;
      api.setAttribute("aria-invalid", "true");
      api.focus();
      return;
    }
    saveSettings({ apiBaseUrl, apiKey: key.value.trim() });
    window.location.reload();
  });
  byId("settings-reset").addEventListener("click", () => {
    clearSettings();
    window.location.reload();
  });
}

function setUpWatching({ api, timeline }) {
  const form = byId("watch-form");
  const input = byId("watch-id");
  const error = byId("watch-error");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(form.querySelector("button"), async () => {
      error.hidden = true;
      input.removeAttribute("aria-invalid");
      const id = input.value.trim();
      try {
        if (!id) throw new Error("Enter a task id (tsk_…).");
        await api.get(`/v1/tasks/${encodeURIComponent(id)}`);
        timeline.watch(id);
        input.value = "";
      } catch (e) {
        error.textContent =
          e instanceof ApiError && e.status === 404 ? `No task ${id} for this key.` : describeError(e);
        error.hidden = false;
        input.setAttribute("aria-invalid", "true");
        input.focus();
      }
    });
  });

  const list = byId("recent-list");
  async function refreshRecent() {
    try {
      const { items } = await api.get("/v1/tasks?limit=10");
      fill(
        list,
        items.length === 0
          ? h("li", { class: "muted" }, "No tasks yet.")
          : items.map((t) => {
              const watch = h(
                "button",
                { type: "button", class: "small", "aria-label": `Watch ${t.id}` },
                "Watch",
              );
              watch.addEventListener("click", () => timeline.watch(t.id));
              return h("li", {}, h("span", { class: "mono" }, t.id), " ", badge(t.status), " ", watch);
            }),
      );
    } catch (e) {
      fill(list, h("li", { class: "field-error" }, describeError(e)));
    }
  }
  byId("recent-tasks").addEventListener("toggle", (event) => {
    if (event.currentTarget.open) void refreshRecent();
  });
  byId("recent-refresh").addEventListener("click", () => void refreshRecent());
}

async function main() {
  const defaults = await loadDefaults();
  const settings = loadSettings(defaults);
  setUpSettingsForm(settings, defaults);
  const api = createApi(settings);

  const health = createHealthPanel({ api });
  const payments = createPaymentsPanel({ api });
  const outbox = createOutboxPanel({ api });
  const dlqs = createDlqsPanel({ api, onRedrive: () => followUp(() => dlqs.refresh(), [500, 2000]) });

  const isLocal = await api.has("/local/outbox");
  showTarget(settings, isLocal);

  const afterTaskUpdate = debounce(() => {
    void health.refresh();
    if (isLocal) {
      void outbox.refresh();
      void dlqs.refresh();
    }
  }, 250);
  let timeline;
  const realtime = new Realtime(api, {
    onMessage: (message) => timeline.onMessage(message),
    onState: showWsState,
  });
  timeline = new Timeline(realtime, { onUpdate: afterTaskUpdate });
  setUpSendForm({ api, timeline, realtime });
  setUpWatching({ api, timeline });
  realtime.start();

  void health.refresh();
  void payments.refresh();
  if (isLocal) {
    void outbox.refresh();
    void dlqs.refresh();
    const faults = setUpFaults({ api, onChange: () => void health.refresh() });
    void faults.refresh();
    setUpWebhookButtons({
      api,
      onFired: () =>
        followUp(() => {
          void payments.refresh();
          void outbox.refresh();
        }),
    });
  }
  document.body.dataset.ready = "true";
}

main().catch((error) => {
  const note = byId("remote-note");
  note.hidden = false;
  note.textContent = `The console could not start: ${describeError(error)}`;
});
