// The WebSocket side: a ticket from POST /v1/realtime/tickets (the API key never goes in a URL),
// then one connection that subscribes to every task the timeline watches. A dropped connection is
// reopened with a fresh ticket (tickets are single use) and every task is subscribed again; the
// subscribe snapshot fills in whatever changed while it was down. Nothing is polled.

import { describeError } from "./api.js";

const PING_EVERY_MS = 4 * 60_000; // API Gateway closes a connection idle for 10 minutes
const MAX_BACKOFF_MS = 30_000;

export class Realtime {
  #api;
  #handlers;
  #socket;
  #tasks = new Set();
  #stopped = false;
  #backoff = 1000;
  #retryTimer;
  #pingTimer;
  #openWaiters = [];

  /** @param handlers {{onMessage(message), onState(state, detail)}} */
  constructor(api, handlers) {
    this.#api = api;
    this.#handlers = handlers;
  }

  get isOpen() {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  start() {
    this.#stopped = false;
    void this.#connect();
  }

  stop() {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#pingTimer);
    this.#socket?.close(1000, "console settings changed");
    this.#socket = undefined;
  }

  /** Resolves once the connection is open, or after `ms` regardless (the caller goes on). */
  ready(ms = 3000) {
    if (this.isOpen) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.#openWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  subscribe(taskId) {
    this.#tasks.add(taskId);
    if (this.isOpen) this.#send({ action: "subscribe", taskId });
  }

  /** A task that reached a final state needs no subscription (nor a resubscribe on reconnect). */
  forget(taskId) {
    if (!this.#tasks.delete(taskId)) return;
    if (this.isOpen) this.#send({ action: "unsubscribe", taskId });
  }

  #send(message) {
    this.#socket?.send(JSON.stringify(message));
  }

  async #connect() {
    this.#handlers.onState("connecting", "asking for a ticket");
    let url;
    try {
      ({ url } = await this.#api.post("/v1/realtime/tickets"));
    } catch (error) {
      // A refused key will not get better by retrying: wait for new settings.
      const final = error?.status === 401 || error?.status === 403;
      this.#handlers.onState("error", `ticket refused: ${describeError(error)}`);
      if (!final) this.#retry();
      return;
    }
    if (this.#stopped) return;
    const socket = new WebSocket(url);
    this.#socket = socket;
    socket.addEventListener("open", () => {
      this.#backoff = 1000;
      this.#handlers.onState("open", new URL(url).host);
      for (const taskId of this.#tasks) this.#send({ action: "subscribe", taskId });
      clearInterval(this.#pingTimer);
      this.#pingTimer = setInterval(() => this.#send({ action: "ping" }), PING_EVERY_MS);
      for (const wake of this.#openWaiters.splice(0)) wake();
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.#handlers.onMessage(message);
    });
    socket.addEventListener("close", (event) => {
      clearInterval(this.#pingTimer);
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#handlers.onState("closed", event.code === 1000 ? "closed" : `closed (${event.code})`);
      this.#retry();
    });
  }

  #retry() {
    if (this.#stopped) return;
    clearTimeout(this.#retryTimer);
    const wait = this.#backoff;
    this.#backoff = Math.min(MAX_BACKOFF_MS, this.#backoff * 2);
    this.#retryTimer = setTimeout(() => void this.#connect(), wait);
  }
}
