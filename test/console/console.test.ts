/**
 * The web console in a real browser (Debian's chromium through playwright-core) against a real
 * local runtime: what a user sees after `npm run dev` and opening `/`. Each test acts through the
 * page only (its buttons and forms) and checks what the page shows, and where it matters what the
 * runtime did. The last test writes the README's screenshot, docs/console.png.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { buildEmailMessage } from "#shared/email/message.ts";
import { launchBrowser, type TestBrowser } from "#test/support/browser.ts";
import { testRuntimeForFile } from "#test/support/runtime.ts";
import { type DeployedStack, startDeployedStack } from "./support/deployed-stack.ts";

let rt: LocalRuntime;
let browser: TestBrowser;
let page: Page;
const pageErrors: string[] = [];
const requests: string[] = [];

testRuntimeForFile(
  {
    // Retries long enough to watch (full jitter can still make one 0 s; two rarely are both).
    EMAIL_RETRY_BASE_SECONDS: "4",
    EMAIL_RETRY_MAX_SECONDS: "8",
    // Two throttles must show retries, not open the breaker (test/email/circuit-e2e.test.ts does).
    SES_BREAKER_THRESHOLD: "1000",
  },
  // The SES circuit is deployment-wide state in Redis: this file's runtime has its own database.
  { db: 14 },
  (started) => (rt = started),
);

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("request", (request) => requests.push(`${request.method()} ${new URL(request.url()).pathname}`));
  await page.goto(`${rt.url}/`);
  await page.locator("body[data-ready]").waitFor();
  // Set once: if the page ever reloads, it is gone.
  await page.evaluate("window.ferryLoaded = 1");
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

// In-page code is passed as strings: this project's TypeScript has no DOM library.
const notReloaded = () => page.evaluate("window.ferryLoaded");

/** Submits the send form and returns the new task's id, read from what the page says. */
async function send(subject: string, to = "ada@example.com"): Promise<string> {
  await page.fill("#send-to", to);
  await page.fill("#send-subject", subject);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect.poll(() => page.textContent("#send-result"), { timeout: 10_000 }).toMatch(/Queued as tsk_/);
  const id = /Queued as (tsk_\w+)/.exec((await page.textContent("#send-result")) ?? "")?.[1];
  if (!id) throw new Error("the page did not say which task it queued");
  return id;
}

/** axe-core's violations on the page as it is now, injected from the installed package. */
async function axeViolations(target: Page) {
  const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  await target.evaluate(axeSource);
  return (await target.evaluate(`axe.run().then((result) =>
    result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 3),
    })))`)) as Array<{ id: string; impact: string; help: string; nodes: string[] }>;
}

const serious = (violations: Array<{ impact: string }>) =>
  violations.filter((v) => v.impact === "serious" || v.impact === "critical");

const card = (taskId: string) => page.locator(`#timeline article[data-task-id="${taskId}"]`);

describe("the web console", () => {
  it("opens on the local runtime with its URL and dev key already filled in", async () => {
    expect(await page.inputValue("#settings-api")).toBe(rt.url);
    expect(await page.inputValue("#settings-key")).toBe(rt.devApiKey);
    await expect.poll(() => page.textContent("#ws-status"), { timeout: 15_000 }).toMatch(/WebSocket: open/);
    expect(await page.textContent("#target-summary")).toContain("Local runtime");
    // Refresh as a user would: under load a function's first (cold) call can time out locally.
    await expect
      .poll(
        async () => {
          const text = await page.textContent("#health");
          if (!/SES circuit/.test(text ?? "")) await page.locator("#health-refresh").click();
          return text;
        },
        { timeout: 15_000, interval: 1000 },
      )
      .toMatch(/SES circuit\s*closed/);
  });

  it("shows the API's problem+json validation messages next to the fields they are about", async () => {
    await page.fill("#send-to", "ada@example.com, not-an-address");
    await page.fill("#send-subject", "");
    await page.getByRole("button", { name: "Send", exact: true }).click();

    await page.locator("#send-to-error:not([hidden])").waitFor();
    expect(await page.textContent("#send-to-error")).toBe("Address 2: must be a valid email address");
    expect(await page.textContent("#send-subject-error")).toMatch(/expected string to have >=1 characters/);
    expect(await page.getAttribute("#send-to", "aria-invalid")).toBe("true");
    expect(await page.getAttribute("#send-subject", "aria-invalid")).toBe("true");
    expect(await page.textContent("#send-form-error")).toContain("Request validation failed");
    // The first field in error has the focus, so a keyboard user lands on it.
    expect(await page.evaluate("document.activeElement?.id")).toBe("send-to");
    expect(await page.locator("#timeline article").count()).toBe(0);
  });

  it("sends an email and shows succeeded, pushed over the WebSocket, without a reload or polling", async () => {
    const before = requests.length;
    const taskId = await send("Hello from the console test");

    await card(taskId).locator('li[data-status="succeeded"]').waitFor({ timeout: 20_000 });
    expect(await card(taskId).getAttribute("data-status")).toBe("succeeded");
    expect(await card(taskId).locator('li[data-status="succeeded"]').textContent()).toMatch(
      /SES accepted it, message id \S+ after 1 attempt/,
    );
    expect(await notReloaded()).toBe(1);
    // The task's states came over the WebSocket: the page never asked the HTTP API for them.
    expect(requests.slice(before).filter((r) => r.includes(`/v1/tasks/${taskId}`))).toEqual([]);
    // The field errors of the previous attempt are gone.
    expect(await page.locator("#send-to-error").isHidden()).toBe(true);
  });

  it("shows retrying with the next attempt's time, then succeeded, after its Throttle switch", async () => {
    await page.fill("#fault-count", "2");
    await page.getByRole("button", { name: "Throttle" }).click();
    await page.locator('#faults li.fault[data-kind="throttle"]').waitFor();
    expect(await page.textContent("#faults")).toContain("SES throttle");

    const taskId = await send("Through a throttled SES");

    const retrying = card(taskId).locator('li[data-status="retrying"]').first();
    await retrying.waitFor({ timeout: 30_000 });
    expect(await retrying.textContent()).toMatch(/TooManyRequestsException.*next attempt at/);
    await card(taskId).locator('li[data-status="succeeded"]').waitFor({ timeout: 40_000 });
    const states = await card(taskId)
      .locator("li[data-status]")
      .evaluateAll((lis) => lis.map((li) => li.getAttribute("data-status")));
    expect(states.indexOf("retrying")).toBeLessThan(states.indexOf("succeeded"));
    expect(await card(taskId).locator('li[data-status="succeeded"]').textContent()).toMatch(
      /after 3 attempts/,
    );

    await page.getByRole("button", { name: "Clear all faults" }).click();
    await expect.poll(() => page.textContent("#faults"), { timeout: 10_000 }).toContain("None");
    expect(await notReloaded()).toBe(1);
  }, 90_000);

  it("fires a signed duplicate webhook burst and shows one payment with one receipt", async () => {
    await page.locator('button[data-provider="stripe"][data-scenario="duplicate-burst"]').click();
    await expect.poll(() => page.textContent("#webhook-result"), { timeout: 10_000 }).toMatch(/deliveries/);
    const said = (await page.textContent("#webhook-result")) ?? "";
    const [, paymentId, deliveries] = /^Stripe (\S+): (\d+) deliveries/.exec(said) ?? [];
    expect(paymentId).toBeTruthy();
    expect(Number(deliveries)).toBeGreaterThan(1);

    const payment = page.locator(`li.payment[data-payment-id="${paymentId}"]`);
    // The receipt is sent after the webhook's answer; the page refreshes a few times after firing.
    await payment.locator(".receipt .badge", { hasText: "succeeded" }).waitFor({ timeout: 30_000 });
    expect(await payment.count()).toBe(1);
    expect(await payment.locator(".receipt").count()).toBe(1);
    expect(await payment.locator(".badge").first().textContent()).toBe("succeeded");
    await page.locator("#outbox-refresh").click();

    const inOutbox = page.locator("#outbox-list li.email", { hasText: "Receipt" });
    await expect.poll(() => inOutbox.count(), { timeout: 10_000 }).toBe(1);
    // What SES got: exactly one receipt for this payment, however many deliveries there were.
    const receipts = (await rt.outbox()).filter((m) => (m.text ?? "").includes(paymentId as string));
    expect(receipts).toHaveLength(1);
  }, 60_000);

  it("fires an out-of-order sequence and shows the payment succeeded with both events", async () => {
    await page.locator('button[data-provider="razorpay"][data-scenario="out-of-order"]').click();
    await expect
      .poll(() => page.textContent("#webhook-result"), { timeout: 10_000 })
      .toMatch(/^Razorpay \S+: 2 deliveries/);
    const paymentId = /^Razorpay (\S+):/.exec((await page.textContent("#webhook-result")) ?? "")?.[1];

    const payment = page.locator(`li.payment[data-payment-id="${paymentId}"]`);
    await payment.locator(".receipt .badge", { hasText: "succeeded" }).waitFor({ timeout: 30_000 });
    // The later event arrived first; the earlier one did not take the payment back.
    expect(await payment.locator("h3 .badge").textContent()).toBe("succeeded");
    expect(await payment.locator("ol.events li").count()).toBe(2);
  }, 60_000);

  it("shows a reused Idempotency-Key's 422 next to that field", async () => {
    const key = `console-${randomUUID()}`;
    await page.fill("#send-idempotency", key);
    await send("First with this key");
    await page.fill("#send-subject", "Another body, same key");
    await page.getByRole("button", { name: "Send", exact: true }).click();

    await page.locator("#send-idempotency-error:not([hidden])").waitFor({ timeout: 10_000 });
    expect(await page.textContent("#send-idempotency-error")).toMatch(/used with a different request body/);
    expect(await page.getAttribute("#send-idempotency", "aria-invalid")).toBe("true");
    await page.fill("#send-idempotency", "");
  });

  it("shows a dead-letter queue's depth, peeks at its message and redrives it to be sent", async () => {
    const sqs = new SQSClient({
      endpoint: rt.sqs.endpoint,
      region: rt.sqs.region,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    // An email message as the API queues it, dead-lettered: a redrive sends it after all.
    const taskId = `tsk_${randomUUID().replaceAll("-", "")}`;
    const message = buildEmailMessage(taskId, "key_console_test", new Date(), {
      to: ["grace@example.com"],
      subject: "Redriven from the DLQ",
      text: "It failed once; the redrive sent it.",
    });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: rt.sqs.queueUrls.emails?.dlqUrl,
        MessageBody: JSON.stringify(message),
      }),
    );
    sqs.destroy();
    const queue = page.locator('#dlqs li.queue[data-queue="emails"]');

    await page.locator("#dlqs-refresh").click();
    await expect.poll(() => queue.locator(".depth").textContent(), { timeout: 10_000 }).toBe("depth 1");
    await queue.getByRole("button", { name: "Peek at emails DLQ" }).click();
    await expect
      .poll(() => queue.locator(".peek").textContent(), { timeout: 10_000 })
      .toContain("Redriven from the DLQ");
    await queue.getByRole("button", { name: "Redrive emails DLQ" }).click();
    await expect
      .poll(() => queue.locator(".peek").textContent(), { timeout: 10_000 })
      .toContain("Moved 1 message back");
    await expect.poll(() => queue.locator(".depth").textContent(), { timeout: 10_000 }).toBe("depth 0");

    await page.locator("#outbox-refresh").click();
    await expect
      .poll(
        async () => {
          await page.locator("#outbox-refresh").click();
          return page.locator("#outbox-list li.email", { hasText: "Redriven from the DLQ" }).count();
        },
        { timeout: 20_000 },
      )
      .toBe(1);
  });

  it("can be driven from the keyboard, with the focus visible", async () => {
    await page.focus("#send-subject");
    await page.fill("#send-subject", "Sent from the keyboard");
    for (let i = 0; i < 8; i += 1) {
      await page.keyboard.press("Tab");
      if (await page.evaluate('document.activeElement?.textContent === "Send"')) break;
    }
    const focused = await page.evaluate(`({
      text: document.activeElement.textContent,
      outline: getComputedStyle(document.activeElement).outlineStyle,
    })`);
    expect(focused).toEqual({ text: "Send", outline: "solid" });
    await page.keyboard.press("Enter");
    await expect.poll(() => page.textContent("#send-result"), { timeout: 10_000 }).toMatch(/Queued as tsk_/);
    await page.locator('#timeline article[data-status="succeeded"]', { hasText: "keyboard" }).waitFor({
      timeout: 20_000,
    });
  });

  it("is readable at 320 px wide: nothing scrolls sideways and every control is on screen", async () => {
    await page.setViewportSize({ width: 320, height: 800 });
    try {
      // The page's own width, and the first few shown elements that reach past the screen's edge.
      const overflow = await page.evaluate(`({
        page: document.documentElement.scrollWidth,
        wider: [...document.querySelectorAll("main *")]
          .filter((el) => el.offsetParent !== null && el.getBoundingClientRect().right > 320.5)
          .map((el) => el.tagName.toLowerCase() + "#" + el.id + "." + el.className)
          .slice(0, 5),
      })`);
      expect(overflow).toEqual({ page: 320, wider: [] });
      const send = await page.getByRole("button", { name: "Send", exact: true }).boundingBox();
      expect(send?.width).toBeGreaterThan(40);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it("has no serious or critical accessibility violations (axe-core), and writes the screenshot", async () => {
    const violations = await axeViolations(page);
    expect(serious(violations)).toEqual([]);

    await page.screenshot({ path: "docs/console.png", fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});

describe("the web console against a deployed stack", () => {
  let stack: DeployedStack;
  let remote: Page;
  beforeAll(async () => {
    stack = await startDeployedStack(rt.url, rt.url);
    remote = await browser.context.newPage();
    remote.on("pageerror", (error) => pageErrors.push(error.message));
    await remote.goto(`${rt.url}/`);
    await remote.locator("body[data-ready]").waitFor();
    await remote.fill("#settings-api", `${stack.url}/`);
    await remote.getByRole("button", { name: "Save and reconnect" }).click();
    await remote.locator("body[data-ready]").waitFor();
  });
  afterAll(async () => {
    await remote?.close();
    await stack?.close();
  });

  it("says what is unavailable remotely, hides the local tools, and still sends and watches live", async () => {
    expect(await remote.textContent("#target-summary")).toBe(`Deployed stack at ${stack.url}`);
    expect(await remote.isVisible("#remote-note")).toBe(true);
    expect(await remote.textContent("#remote-note")).toMatch(
      /outbox, the dead-letter queues and the test tools/,
    );
    for (const section of ["#outbox-section", "#dlqs-section", "#tools-section"]) {
      expect(await remote.isVisible(`${section} .unavailable`)).toBe(true);
      expect(await remote.locator(`${section} .local-only`).first().isHidden()).toBe(true);
    }
    await expect.poll(() => remote.textContent("#ws-status"), { timeout: 15_000 }).toMatch(/WebSocket: open/);

    await remote.fill("#send-subject", "To the deployed stack");
    await remote.getByRole("button", { name: "Send", exact: true }).click();
    await remote.locator('#timeline article[data-status="succeeded"]').waitFor({ timeout: 20_000 });
    expect(serious(await axeViolations(remote))).toEqual([]);

    // The settings live in this tab's session only; "Back to this runtime" forgets them.
    expect(await remote.evaluate("Object.keys(localStorage).length")).toBe(0);
    await remote.getByRole("button", { name: "Back to this runtime" }).click();
    await remote.locator("body[data-ready]").waitFor();
    expect(await remote.inputValue("#settings-api")).toBe(rt.url);

    // A URL the console cannot call is refused at the field, and nothing is saved.
    await remote.fill("#settings-api", "ftp://files.example.org");
    await remote.getByRole("button", { name: "Save and reconnect" }).click();
    expect(await remote.textContent("#settings-api-error")).toMatch(/http\(s\) URL/);
    expect(await remote.evaluate("sessionStorage.length")).toBe(0);
  });
});

describe("the console's timeline", () => {
  it("shows delivered and bounced per recipient, live, from the SES mailbox simulator's events", async () => {
    const taskId = await send(
      "Delivery from the console test",
      "success@simulator.amazonses.com, bounce@simulator.amazonses.com",
    );

    const recipient = (address: string) => card(taskId).locator(`.delivery li[data-recipient="${address}"]`);
    await expect
      .poll(() => recipient("success@simulator.amazonses.com").textContent(), { timeout: 30_000 })
      .toMatch(/delivered/);
    await expect
      .poll(() => recipient("bounce@simulator.amazonses.com").textContent(), { timeout: 30_000 })
      .toMatch(/bounced .*permanent/);
    // The submission's own line stays one: delivery news adds delivery lines, not more "succeeded".
    expect(await card(taskId).locator('li[data-status="succeeded"]').count()).toBe(1);
    expect(await notReloaded()).toBe(1);
  });

  it("shows each recipient's delivery state, with SES's detail, when a task carries one", async () => {
    const fresh = await browser.context.newPage();
    try {
      await fresh.goto(`${rt.url}/`);
      await fresh.locator("body[data-ready]").waitFor();
      // The timeline module itself, fed the pushes a task with `delivery` gets (its WebSocket
      // stood in for: which SES events reach a task is the events worker's job, tested there).
      const lines = await fresh.evaluate(`(async () => {
        const { Timeline } = await import("/console/js/timeline.js");
        const timeline = new Timeline({ subscribe() {}, forget() {} });
        const task = { id: "tsk_delivery", type: "email", attempts: 1, createdAt: "2026-01-01T00:00:00Z",
          updatedAt: "2026-01-01T00:00:01Z", status: "succeeded", result: { messageId: "ses-1" }, version: 3 };
        timeline.onMessage({ type: "task.updated", task });
        timeline.onMessage({ type: "task.updated", task: { ...task, version: 4, delivery: {
          "ada@example.com": { state: "delivered", at: "2026-01-01T00:00:02Z" },
          "bounce@example.com": { state: "bounced", at: "2026-01-01T00:00:03Z",
            detail: { bounceType: "permanent", subType: "General", diagnostic: "smtp; 550 5.1.1 user unknown" } },
        } } });
        timeline.onMessage({ type: "task.updated", task: { ...task, version: 2, status: "processing" } });
        const card = document.querySelector('article[data-task-id="tsk_delivery"]');
        return {
          states: [...card.querySelectorAll("ol li")].map((li) => li.dataset.status),
          recipients: [...card.querySelectorAll(".delivery li")].map((li) => li.textContent.replace(/\\s+/g, " ").trim()),
        };
      })()`);

      expect(lines).toEqual({
        // The stale version-2 push is ignored; the delivery news is a line of its own.
        states: ["succeeded", "delivery"],
        recipients: [
          expect.stringMatching(/^ada@example\.com delivered /),
          expect.stringMatching(
            /^bounce@example\.com bounced .* — permanent · General · smtp; 550 5\.1\.1 user unknown$/,
          ),
        ],
      });
    } finally {
      await fresh.close();
    }
  });
});
