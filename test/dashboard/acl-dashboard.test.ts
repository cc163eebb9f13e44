import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistry } from '../../src/backends/http/index.js';
import { mountDashboard } from '../../src/dashboard/routes.js';
import { startRegistryServer, type RegistryServer } from '../../src/server/index.js';
import { aclFor, makeTokens, type Tokens } from '../server/acl-fixture.js';
import { artifact, launchChromium } from './browser.js';

/**
 * The dashboard of a registry with ACLs, in Chromium: it asks once for a read token (kept in
 * sessionStorage, never in a URL), shows only what that token may read, and runs under
 * `Content-Security-Policy: default-src 'self'` without a single violation.
 */
describe('dashboard with ACLs on (Chromium)', () => {
  let tokens: Tokens;
  let server: RegistryServer;
  let admin: HttpRegistry;
  let browser: Browser;

  beforeAll(async () => {
    tokens = makeTokens();
    server = await startRegistryServer({ port: 0, logger: pino({ level: 'silent' }), acl: aclFor(tokens) });
    mountDashboard(server, { leaseTickMs: 200 });
    admin = new HttpRegistry({ url: server.url, token: tokens.admin, env: {} });
    await admin.register({ service: 'orders', id: 'o1', address: '127.0.0.1:9901' }, { ttlMs: 60_000 });
    await admin.register({ service: 'secret', id: 's1', address: '127.0.0.1:9902' }, { ttlMs: 60_000 });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await admin?.close();
    await server?.close();
  });

  it('asks once for a token, shows only readable services, and obeys its CSP', async () => {
    const page = await browser.newPage();
    const prompts: string[] = [];
    const violations: string[] = [];
    page.on('dialog', (dialog) => {
      prompts.push(dialog.message());
      void dialog.accept(tokens.ordersReader);
    });
    await page.exposeFunction('reportViolation', (text: string) => violations.push(text));
    // Page code as a string: this file is compiled without the DOM library.
    await page.addInitScript({
      content:
        "document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI));",
    });
    const response = await page.goto(`${server.url}/ui`);
    expect(response?.headers()).toMatchObject({
      'content-security-policy': "default-src 'self'",
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
    });
    await expect.poll(() => page.locator('[data-instance]').count(), { timeout: 20_000 }).toBe(1);
    expect(await page.getAttribute('[data-instance]', 'data-instance')).toBe('o1');
    expect(prompts).toHaveLength(1);
    expect(await page.evaluate("sessionStorage.getItem('proxima.token')")).toBe(tokens.ordersReader);
    expect(page.url()).not.toContain(tokens.ordersReader);

    // Live changes of readable services arrive; others do not.
    await admin.register({ service: 'orders', id: 'o2', address: '127.0.0.1:9903' }, { ttlMs: 60_000 });
    await admin.register({ service: 'secret', id: 's2', address: '127.0.0.1:9904' }, { ttlMs: 60_000 });
    await expect.poll(() => page.locator('[data-instance]').count(), { timeout: 20_000 }).toBe(2);
    expect(await page.locator('[data-instance="s1"], [data-instance="s2"]').count()).toBe(0);

    await page.reload();
    await expect.poll(() => page.locator('[data-instance]').count(), { timeout: 20_000 }).toBe(2);
    expect(prompts).toHaveLength(1);
    await page.screenshot({ path: artifact('dashboard-acl.png'), fullPage: true });
    expect(violations).toEqual([]);
    await page.close();
  });

  it('refuses the live stream to a request without a token', async () => {
    const reply = await fetch(`${server.url}/ui/events`);
    expect(reply.status).toBe(401);
  });
});
