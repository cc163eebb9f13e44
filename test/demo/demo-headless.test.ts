import { afterAll, describe, expect, it } from 'vitest';
import { ProcessGroup, isDead } from '../support/processes.js';

/**
 * `proxima demo --script … --duration …` as CI runs it: headless, a verdict, exit 0, and no
 * process left behind. The machine has two shared cores, so the run is short and the timeout long.
 */
describe('proxima demo (headless)', () => {
  const group = new ProcessGroup();
  afterAll(() => group.killAll());

  it('runs the quick script and exits 0 with a passing summary', async () => {
    const demo = group.proxima('demo', [
      'demo',
      '--script',
      'examples/quick.demo',
      '--duration',
      '22s',
      '--port',
      '0',
      '--log-level',
      'warn',
      // The suite's other worker loads the same 2 cores (chaos drills, a second demo). There the
      // load-aware spill moved 2-30% of the traffic out of a healthy zone (86-98% local while
      // healthy, 70-93% after recovery in CI-like runs; no failed call): every scheduling stall
      // raises the mean latency measured for the zone that serves nearly every call. With the
      // spill off, 100% in both under the same load (docs/demo.md). This test is about zones,
      // failover and recovery, so it turns the spill off and holds the demo's own bars: 99% / 95%.
      '--load-spill',
      'off',
    ]);
    const exit = await Promise.race([
      demo.exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`demo did not finish:\n${demo.lines.join('\n')}`)), 110_000),
      ),
    ]);
    const output = demo.lines.join('\n');
    const summary = output.slice(output.lastIndexOf('summary'));
    expect(summary).toMatch(/PASS {2}same-zone calls while healthy ≥ 99\.00%: (99\.\d\d|100\.00)%/);
    expect(summary).toMatch(/PASS {2}no failed calls during kill: 0 failed of \d+/);
    expect(summary).toMatch(/PASS {2}no failed calls during drain: 0 failed of \d+/);
    expect(summary).toMatch(/PASS {2}no failed calls during zone-loss: 0 failed of \d+/);
    expect(summary).toMatch(/PASS {2}traffic back in zone after recovery ≥ 95\.00%/);
    expect(output).toContain('demo: all checks passed');
    expect(exit.code, summary).toBe(0);
    // The live table printed rows with every zone's share.
    expect(output).toMatch(/calls\/s .* eu-west\/a +eu-west\/b +us-east\/c/);

    const pids = [...output.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids.length).toBeGreaterThanOrEqual(10);
    for (const pid of pids) expect({ pid, dead: isDead(pid) }).toEqual({ pid, dead: true });
  }, 120_000);

  it('refuses a bad script before starting anything (exit 2, naming the line)', async () => {
    const demo = group.proxima('bad-script', ['demo', '--script', 'package.json', '--duration', '1s']);
    const exit = await demo.exited;
    expect(exit.code).toBe(2);
    expect(demo.lines.join('\n')).toMatch(/--script: script:1: /);
  });
});
