import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../../backends/memory/index.js';
import { FakeClock, flushMicrotasks } from '../../core/testing/fake-clock.js';
import { startRegistrar, type Registrar } from '../registrar.js';
import { INITIAL_CHECK_STATE, nextCheckState, type CheckState } from './check-state.js';
import { resolveHealthCheck } from './health-check.js';

const T = { unhealthyAfter: 3, healthyAfter: 2 };

function run(results: readonly boolean[]): string[] {
  let state: CheckState = INITIAL_CHECK_STATE;
  return results.map((passed) => (state = nextCheckState(state, passed, T)).kind);
}

describe('check state machine', () => {
  it('3 misses in a row → unhealthy; 2 passes in a row → healthy', () => {
    expect(run([false, false, false])).toEqual(['healthy', 'healthy', 'unhealthy']);
    expect(run([false, false, false, true, true])).toEqual([
      'healthy',
      'healthy',
      'unhealthy',
      'unhealthy',
      'healthy',
    ]);
  });

  it('a pass resets the misses, a miss resets the passes', () => {
    expect(run([false, false, true, false, false])).toEqual([
      'healthy',
      'healthy',
      'healthy',
      'healthy',
      'healthy',
    ]);
    expect(run([false, false, false, true, false, true])).toEqual([
      'healthy',
      'healthy',
      'unhealthy',
      'unhealthy',
      'unhealthy',
      'unhealthy',
    ]);
  });
});

describe('check options', () => {
  it('name the bad field', () => {
    expect(() => resolveHealthCheck({ target: 'ftp://x' }, 'options.check', '127.0.0.1:1')).toThrow(
      /options\.check\.target/,
    );
    expect(() =>
      resolveHealthCheck({ target: 'tcp', intervalMs: 0 }, 'options.check', '127.0.0.1:1'),
    ).toThrow(/options\.check\.intervalMs/);
    expect(() => resolveHealthCheck({ target: 'tcp://nope' }, 'options.check', '127.0.0.1:1')).toThrow(
      /options\.check\.target/,
    );
    expect(resolveHealthCheck({ target: 'tcp' }, 'c', '10.0.0.1:80')).toMatchObject({
      describe: 'tcp 10.0.0.1:80',
      intervalMs: 5000,
      timeoutMs: 1000,
    });
  });
});

describe('registrar with a check (fake clock)', () => {
  let registrar: Registrar | undefined;
  let memory: MemoryRegistry | undefined;
  afterEach(async () => {
    await registrar?.drain();
    await memory?.close();
  });

  it('marks DOWN after 3 misses, UP after 2 passes; a hung check is a miss', async () => {
    const clock = new FakeClock();
    memory = new MemoryRegistry({ clock });
    let mode: 'pass' | 'fail' | 'hang' = 'pass';
    const target = (signal: AbortSignal): Promise<void> =>
      mode === 'pass'
        ? Promise.resolve()
        : mode === 'fail'
          ? Promise.reject(new Error('HTTP 500'))
          : new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    registrar = await startRegistrar({
      registry: memory,
      instance: { service: 'legacy', address: '127.0.0.1:8080', locality: { region: 'r', zone: 'z' } },
      clock,
      env: {},
      check: { target, intervalMs: 5000, timeoutMs: 1000 },
    });
    const status = async (): Promise<string | undefined> =>
      (await memory!.list('legacy')).instances[0]?.status;
    const changes: string[] = [];
    registrar.onHealthChanged((e) => changes.push(`${e.health}:${e.reason ?? ''}`));
    expect(await status()).toBe('UP');

    mode = 'fail';
    await clock.advance(5000); // miss 1
    await clock.advance(5000); // miss 2
    expect(await status()).toBe('UP');
    mode = 'hang';
    await clock.advance(5000); // miss 3 starts: times out after 1 s
    await clock.advance(1000);
    await flushMicrotasks();
    expect(registrar.health).toBe('failing');
    expect(await status()).toBe('DOWN');
    expect(changes).toEqual(['failing:timed out after 1000 ms']);

    mode = 'pass';
    await clock.advance(5000); // pass 1
    expect(await status()).toBe('DOWN');
    await clock.advance(5000); // pass 2
    await flushMicrotasks();
    expect(await status()).toBe('UP');
    expect(changes).toEqual(['failing:timed out after 1000 ms', 'passing:']);
  });

  it('never lifts a drain', async () => {
    const clock = new FakeClock();
    memory = new MemoryRegistry({ clock });
    let ok = false;
    registrar = await startRegistrar({
      registry: memory,
      instance: { service: 'legacy', address: '127.0.0.1:8080', locality: { region: 'r', zone: 'z' } },
      clock,
      env: {},
      check: { target: () => (ok ? Promise.resolve() : Promise.reject(new Error('no'))), intervalMs: 100 },
    });
    for (let i = 0; i < 3; i++) await clock.advance(100);
    await flushMicrotasks();
    await registrar.update({ status: 'DRAINING' });
    ok = true;
    for (let i = 0; i < 3; i++) await clock.advance(100);
    await flushMicrotasks();
    expect(registrar.health).toBe('passing');
    expect((await memory.list('legacy')).instances[0]?.status).toBe('DRAINING');
  });
});

describe('HTTP and TCP probes against a real server', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it('pass on 2xx and a connect, miss on 500 and on a refused connection', async () => {
    let code = 200;
    server = createServer((_req, res) => res.writeHead(code).end());
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const http = resolveHealthCheck({ target: `http://127.0.0.1:${port}/healthz` }, 'c', 'x:1');
    const tcp = resolveHealthCheck({ target: 'tcp' }, 'c', `127.0.0.1:${port}`);
    const signal = new AbortController().signal;
    await expect(http.probe(signal)).resolves.toBeUndefined();
    await expect(tcp.probe(signal)).resolves.toBeUndefined();
    code = 500;
    await expect(http.probe(signal)).rejects.toThrow('HTTP 500');
    server.closeAllConnections();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    await expect(tcp.probe(signal)).rejects.toThrow('ECONNREFUSED');
    await expect(http.probe(signal)).rejects.toThrow('ECONNREFUSED');
  });
});
