import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessGroup, eventually, isDead, type OwnedProcess } from '../support/processes.js';
import { artifact, launchChromium } from './browser.js';

/** The README's screenshot, taken by this test (docs/img/). */
const DOCS_SCREENSHOT = new URL('../../docs/img/dashboard.png', import.meta.url).pathname;

/**
 * The dashboard in a real browser, fed by a real `proxima demo`: nine instance processes in three
 * zones, a load client in eu-west/a. Assertions are on the DOM; screenshots land in test-artifacts/.
 */
describe('dashboard with the live demo (Chromium)', () => {
  const group = new ProcessGroup();
  let demo: OwnedProcess;
  let browser: Browser;
  let page: Page;
  let url: string;
  const pids = new Map<string, number>();

  beforeAll(async () => {
    browser = await launchChromium();
    demo = group.proxima('demo', ['demo', '--port', '0', '--rate', '200', '--log-level', 'warn']);
    url = (await demo.waitForLine(/^dashboard: /, 30_000)).replace(/^dashboard: /, '').trim();
    const load = await demo.waitForLine(/^load: .*\(pid \d+\)/, 90_000);
    pids.set('load', Number(/pid (\d+)/.exec(load)?.[1]));
    for (const line of demo.lines) {
      const m = /^instance (\S+) in \S+ pid (\d+)/.exec(line);
      if (m) pids.set(m[1] as string, Number(m[2]));
    }
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await group.killAll();
  });

  it('lists the nine instances grouped by region and zone, with lease time left', async () => {
    expect(pids.size).toBe(10);
    await expect.poll(() => page.locator('[data-instance]').count(), { timeout: 20_000 }).toBe(9);
    const zones = await page.$$eval('[data-zone]', (nodes) =>
      nodes.map((n) => ({
        zone: n.getAttribute('data-zone'),
        region: n.closest('[data-region]')?.getAttribute('data-region'),
        ids: [...n.querySelectorAll('[data-instance]')].map((i) => i.getAttribute('data-instance')),
      })),
    );
    expect(zones).toEqual([
      { zone: 'eu-west/a', region: 'eu-west', ids: ['eu-west-a-1', 'eu-west-a-2', 'eu-west-a-3'] },
      { zone: 'eu-west/b', region: 'eu-west', ids: ['eu-west-b-1', 'eu-west-b-2', 'eu-west-b-3'] },
      { zone: 'us-east/c', region: 'us-east', ids: ['us-east-c-1', 'us-east-c-2', 'us-east-c-3'] },
    ]);
    const statuses = await page.$$eval('[data-instance]', (nodes) =>
      nodes.map((n) => n.getAttribute('data-status')),
    );
    expect(new Set(statuses)).toEqual(new Set(['UP']));
    const lease = await page.textContent('[data-instance="eu-west-a-1"] .lease-text');
    expect(lease).toMatch(/^\d+\.\ds$/);
    const meta = await page.textContent('[data-instance="eu-west-a-1"] .meta');
    expect(meta).toContain(`pid=${pids.get('eu-west-a-1')}`);
  });

  it('shows the traffic matrix with the local zone dominant', async () => {
    await page.waitForSelector('#traffic:not([hidden])', { timeout: 20_000 });
    const row = async (): Promise<Record<string, number>> =>
      page.$$eval('#matrix td[data-from="eu-west/a"]', (cells) =>
        Object.fromEntries(
          cells.map((c) => [c.getAttribute('data-to'), Number(c.getAttribute('data-rate'))]),
        ),
      );
    const localShare = (cells: Record<string, number>): number =>
      (cells['eu-west/a'] ?? 0) / Object.values(cells).reduce((a, b) => a + b, 1e-9);
    // Steady state: while the test suite loads the machine, load-aware spill may send a share
    // elsewhere for a moment; the matrix must show the local zone dominant once it settles.
    await eventually(async () => {
      const cells = await row();
      return (cells['eu-west/a'] ?? 0) > 50 && localShare(cells) > 0.9;
    }, 60_000);
    const cells = await row();
    expect(Object.keys(cells).sort()).toEqual(['eu-west/a', 'eu-west/b', 'us-east/c']);
    // The endpoints table follows the client's reports (one a second): wait for all nine.
    await expect
      .poll(() => page.$$eval('#endpoints tr[data-endpoint]', (rows) => rows.length), { timeout: 30_000 })
      .toBeGreaterThanOrEqual(9);
    await page.screenshot({ path: artifact('dashboard-demo.png'), fullPage: true });
  });

  it('removes a killed instance from the page live', async () => {
    const pid = pids.get('eu-west-b-2') as number;
    process.kill(pid, 'SIGKILL');
    await demo.waitForLine(`instance eu-west-b-2 (pid ${pid}) exited`, 10_000);
    // Its lease (3 s) expires; the delete arrives over the stream, no reload. It fades out for a
    // few seconds (marked data-gone, not counted as up) before it leaves the page.
    await page.waitForSelector('[data-instance="eu-west-b-2"][data-gone]', { timeout: 20_000 });
    expect(await page.textContent('[data-service="echo"] h3 .muted')).toBe(' 8/8 up');
    await page.waitForSelector('[data-instance="eu-west-b-2"]', { state: 'detached', timeout: 20_000 });
    expect(await page.$$eval('[data-instance]', (n) => n.length)).toBe(8);
    expect(await page.$$eval('[data-zone="eu-west/b"] [data-instance]', (n) => n.length)).toBe(2);
    expect(await page.getAttribute('#conn', 'data-state')).toBe('live');
    await page.screenshot({ path: artifact('dashboard-instance-killed.png'), fullPage: true });
  });

  it('says how many changes there were and how long ago the last one was, and has a favicon', async () => {
    expect(await page.textContent('#revision')).toMatch(/^\d+ changes?, last \d+ (s|min) ago$/);
    expect(await page.getAttribute('#revision', 'title')).toMatch(/^revision \d+$/);
    const icon = await fetch(new URL('/favicon.ico', url));
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(await page.getAttribute('link[rel="icon"]', 'href')).toBe('/ui/favicon.svg');
  });

  it("charts the failover: after the caller's zone is killed, calls/s move to the next zone", async () => {
    const line = (zone: string): Promise<number> =>
      page
        .$eval(`#chart path[data-series="${zone}"]`, (p) => Number(p.getAttribute('data-last')))
        .catch(() => 0);
    await eventually(async () => (await line('eu-west/a')) > 50, 20_000);
    const bBefore = await line('eu-west/b');
    const before = Number(await page.getAttribute('#chart', 'data-points'));
    const killedAt = Date.now();
    for (const id of ['eu-west-a-1', 'eu-west-a-2', 'eu-west-a-3'])
      process.kill(pids.get(id) as number, 'SIGKILL');
    // The chart keeps drawing after the kill, and now shows the calls answered in eu-west/b.
    await eventually(
      async () => (await line('eu-west/a')) === 0 && (await line('eu-west/b')) > bBefore + 50,
      30_000,
    );
    expect(Number(await page.getAttribute('#chart', 'data-points'))).toBeGreaterThan(before);
    expect(Number(await page.getAttribute('#chart', 'data-last-t'))).toBeGreaterThan(killedAt - 1_000);
    // The history still holds the minutes before the kill: the failover is visible afterwards.
    const paths = await page.$$eval('#chart path[data-series]', (nodes) =>
      nodes.map((n) => n.getAttribute('data-series')),
    );
    expect(paths).toEqual(expect.arrayContaining(['eu-west/a', 'eu-west/b']));
    const shown = Number(await page.getAttribute('#chart', 'data-points'));
    await eventually(
      async () => Number(await page.getAttribute('#chart', 'data-points')) > shown + 1,
      10_000,
    );
    await page.screenshot({ path: artifact('dashboard-failover.png'), fullPage: true });
    await page.screenshot({ path: DOCS_SCREENSHOT, fullPage: true });
  });

  it('stops every process it started on SIGINT', async () => {
    demo.signal('SIGINT');
    const exit = await demo.exited;
    expect(exit.code).toBe(0);
    expect(demo.lines.some((l) => l.includes('none of the'))).toBe(true);
    for (const [name, pid] of pids) expect({ name, dead: isDead(pid) }).toEqual({ name, dead: true });
  });
});
