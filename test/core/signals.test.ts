import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type OwnedProcess, ProcessGroup } from '../support/processes.js';

// The one shutdown-on-signal rule (src/core/signals.ts), with real signals sent by PID to a child
// process: first signal → graceful close; a second one, or the deadline → exit 128 + signo at
// once; after the close, the listeners are gone (a later signal gets Node's default).

const MAIN = fileURLToPath(new URL('./fixtures/signal-main.ts', import.meta.url));
const group = new ProcessGroup();
afterEach(() => group.killAll());

async function start(...args: string[]): Promise<OwnedProcess> {
  const child = group.start('signal-main', process.execPath, ['--import', 'tsx', MAIN, ...args]);
  await child.waitForLine('ready');
  return child;
}

describe('onShutdownSignals', () => {
  it('closes gracefully on the first SIGTERM, then removes its listeners', async () => {
    const child = await start('100');
    child.signal('SIGTERM');
    await child.waitForLine('closing received SIGTERM');
    await child.waitForLine('closed');
    await child.waitForLine('done listeners=0');
    // Nobody listens any more: the next SIGTERM ends the process the default way.
    child.signal('SIGTERM');
    expect(await child.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('exits 130 at once on a second SIGINT while the close is still running', async () => {
    const child = await start('never', '600000');
    child.signal('SIGINT');
    await child.waitForLine('closing received SIGINT');
    child.signal('SIGINT');
    expect(await child.exited).toEqual({ code: 130, signal: null });
    expect(child.lines).toContain('received SIGINT again: exiting without a clean shutdown');
    expect(child.lines).not.toContain('closed');
  });

  it('exits 143 when the close outlives the deadline', async () => {
    const child = await start('never', '300');
    child.signal('SIGTERM');
    await child.waitForLine('closing received SIGTERM');
    expect(await child.exited).toEqual({ code: 143, signal: null });
    expect(child.lines).toContain('shutdown did not finish within 300 ms of SIGTERM: exiting');
  });

  it('hands a failed close to onError', async () => {
    const child = await start('fail');
    child.signal('SIGTERM');
    await child.waitForLine('error close failed on purpose');
    expect(await child.exited).toEqual({ code: 1, signal: null });
  });
});
