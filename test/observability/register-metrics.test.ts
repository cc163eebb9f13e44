import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startRegistryServer } from '../../src/server/index.js';
import { freePort } from '../support/ports.js';
import { ProcessGroup } from '../support/processes.js';
import { parseExposition, promtoolCheck, sumOf } from './exposition.js';

// `proxima register --metrics-port`: a non-Node service's registrar process, scraped like any other.
describe('proxima register --metrics-port', () => {
  const group = new ProcessGroup();
  afterAll(() => group.killAll());

  it('serves registrar and process metrics that promtool accepts, and stops with the process', async () => {
    const server = await startRegistryServer({ port: 0, logger: pino({ level: 'silent' }) });
    try {
      const port = await freePort();
      const agent = group.proxima('register', [
        'register',
        '--registry',
        server.url,
        '--service',
        'legacy',
        '--address',
        '127.0.0.1:9100',
        '--metrics-port',
        String(port),
      ]);
      await agent.waitForLine(/^registered legacy\//, 30_000);
      await agent.waitForLine(`metrics on http://127.0.0.1:${port}/metrics`);
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const check = await promtoolCheck(text);
      expect(check.output).toBe('');
      expect(check.code).toBe(0);
      const samples = parseExposition(text);
      expect(sumOf(samples, 'proxima_registrar_registered', { service: 'legacy' })).toBe(1);
      expect(sumOf(samples, 'proxima_registrar_instances', { service: 'legacy' })).toBe(1);
      expect(sumOf(samples, 'proxima_registrar_registrations_total', { kind: 'first' })).toBe(1);
      // At 0 from the start, so increase() works on a healthy process.
      expect(
        samples.filter((s) => s.name === 'proxima_registrar_leases_lost_total').map((s) => s.value),
      ).toEqual([0]);
      expect(sumOf(samples, 'proxima_registrar_registrations_total', { kind: 'again' })).toBe(0);
      expect(samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);

      agent.signal('SIGTERM');
      expect((await agent.exited).code).toBe(0);
      await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
    } finally {
      await server.close();
    }
  }, 60_000);

  it('names the flag when the port is bad', async () => {
    const agent = group.proxima('register-bad', [
      'register',
      '--registry',
      'memory:',
      '--service',
      'legacy',
      '--address',
      '127.0.0.1:9100',
      '--metrics-port',
      '99999',
    ]);
    const { code } = await agent.exited;
    expect(code).not.toBe(0);
    expect(agent.lines.join('\n')).toContain('--metrics-port');
  }, 60_000);
});
