import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium: the only browser these tests use (`npx playwright install` cannot run here). */
export const CHROMIUM = '/usr/bin/chromium';

/** Where screenshots go (gitignored; CI may keep it as an artifact). */
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** Launches headless Chromium, or fails with the command that installs it. Never skips. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run apt-get install -y chromium`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A screenshot path under test-artifacts/. */
export function artifact(name: string): string {
  return `${ARTIFACTS}${name}`;
}
