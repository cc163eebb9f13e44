import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/testing/run-cli.js';

let dir: string;
let file: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'proxima-simulate-'));
  file = join(dir, 'tiny.json');
  await writeFile(
    file,
    JSON.stringify({
      name: 'tiny',
      duration: '3s',
      warmup: '1s',
      defaults: { capacity: 2, serviceTime: { dist: 'exponential', meanMs: 5 } },
      regions: [
        {
          name: 'r1',
          zones: [
            { name: 'a', instances: 2 },
            { name: 'b', instances: 2 },
          ],
        },
      ],
      callers: [{ zone: 'a', ratePerSec: 100 }],
    }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('proxima simulate', () => {
  it('prints one row per policy, the same on every run', async () => {
    const args = ['simulate', file, '--policy', 'round-robin,locality+p2c-ewma', '--seed', '3'];
    const first = await runCli(args);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^scenario tiny · seed 3/);
    expect(first.stdout).toMatch(/\nround-robin +\d+ /);
    expect(first.stdout).toMatch(/\nlocality\+p2c-ewma +\d+ /);
    expect((await runCli(args)).stdout).toBe(first.stdout);
  });

  it('prints the report as JSON and as Markdown', async () => {
    const json = await runCli(['simulate', file, '--policy', 'k8s-topology', '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { runs: Array<{ policy: string; crossZoneShare: number }> };
    expect(report.runs).toHaveLength(1);
    expect(report.runs[0]).toMatchObject({ policy: 'k8s-topology', crossZoneShare: 0 });
    const md = await runCli(['simulate', file, '--policy', 'k8s-topology', '--markdown']);
    expect(md.stdout).toMatch(/^\| POLICY \| CALLS \|/);
  });

  it('rejects bad input as usage errors naming what to fix', async () => {
    const unknown = await runCli(['simulate', file, '--policy', 'fastest']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--policy: unknown policy "fastest"/);
    const missing = await runCli(['simulate', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/SCENARIO: cannot read/);
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ name: 'bad', duration: '1s', regions: [], callers: [] }));
    const invalid = await runCli(['simulate', bad]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/scenario\.regions/);
  });
});
