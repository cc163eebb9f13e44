import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistry } from '../../src/backends/http/index.js';
import { mountDashboard } from '../../src/dashboard/routes.js';
import { startRegistryServer, type RegistryServer } from '../../src/server/index.js';
import { launchChromium } from './browser.js';

let server: RegistryServer;
let registry: HttpRegistry;
let browser: Browser;
beforeAll(async () => {
  server = await startRegistryServer({ port: 0, logger: pino({ level: 'silent' }) });
  mountDashboard(server, { acceptTraffic: true });
  registry = new HttpRegistry({ url: server.url });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await registry?.close();
  await server?.close();
});

describe('dashboard', () => {
  it('marks instances and callers whose zone is unknown', async () => {
    const lease = await registry.grant({ ttlMs: 30_000 });
    await registry.register(
      { service: 'users', id: 'placed', address: '127.0.0.1:9001', locality: { region: 'eu', zone: 'eu-1' } },
      { lease },
    );
    await registry.register(
      { service: 'users', id: 'lost', address: '127.0.0.1:9002', locality: { region: 'eu' } },
      { lease },
    );
    const report = {
      reporter: 'caller-1',
      service: 'users',
      caller: 'eu/?',
      windowMs: 1000,
      callsPerSec: 10,
      errorsPerSec: 0,
      p50Ms: 1,
      p99Ms: 2,
      matrix: [{ from: 'eu/?', to: 'eu/eu-1', callsPerSec: 10 }],
      endpoints: [],
    };
    const posted = await fetch(`${server.url}/ui/api/traffic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(report),
    });
    expect(posted.status).toBeLessThan(300);

    const page = await browser.newPage();
    await page.goto(`${server.url}/ui`);
    await page.waitForSelector('[data-instance="lost"]', { timeout: 15_000 });
    expect(await page.getAttribute('[data-instance="lost"]', 'data-zone-unknown')).toBe('true');
    expect(await page.getAttribute('[data-instance="placed"]', 'data-zone-unknown')).toBeNull();
    expect(await page.textContent('[data-instance="lost"] .badge.unknown-zone')).toBe('zone?');
    expect(await page.textContent('.zone.unknown-zone h5')).toContain('zone unknown');
    await page.waitForSelector('th[data-zone-unknown="true"]', { timeout: 15_000 });
    expect(await page.textContent('th[data-zone-unknown="true"]')).toContain('eu/?');
    await page.close();
  }, 60_000);
});
