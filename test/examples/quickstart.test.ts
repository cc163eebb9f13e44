import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { ProcessGroup } from '../support/processes.js';

// The README's example, run as a newcomer would: a registry process, then the example importing
// the package by its name (`proxima`, resolved to the built dist/ through package.json exports).
describe('examples/quickstart.ts', () => {
  const group = new ProcessGroup();
  afterAll(() => group.killAll());

  it('registers, discovers, calls and explains through a real registry', async () => {
    const port = await freePort();
    const registry = group.proxima('registry', ['registry', '--port', String(port)]);
    await registry.waitForLine(/listening|127\.0\.0\.1/, 20_000);
    const example = group.start(
      'quickstart',
      process.execPath,
      ['--import', 'tsx', 'examples/quickstart.ts'],
      {
        PROXIMA_REGISTRY: `http://127.0.0.1:${port}`,
      },
    );
    const { code } = await example.exited;
    const output = example.lines.join('\n');
    expect(code, output).toBe(0);
    expect(output).toContain("text: 'hello, Ada'");
    expect(output).toMatch(/eu-west-1a/);
  }, 60_000);
});
