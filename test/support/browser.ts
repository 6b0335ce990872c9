/**
 * A real browser for the console's tests: Debian's chromium (or CHROMIUM_PATH) driven by
 * playwright-core, headless, in a fresh profile that is deleted afterwards. A missing browser is
 * a failure, not a skip: CI installs chromium (.ci/run), and a console nobody tested is not done.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

export interface TestBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `No browser at ${CHROMIUM_PATH}: install chromium (Debian/Ubuntu: apt-get install chromium) or set ` +
        "CHROMIUM_PATH to a Chromium or Chrome binary. The console's browser tests need one.",
    );
  }
  const profile = mkdtempSync(join(tmpdir(), "ferry-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
