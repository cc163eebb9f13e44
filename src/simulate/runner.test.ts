import { describe, expect, it } from 'vitest';
import { formatReport } from './report.js';
import { runScenario, selectPolicies, simulate } from './runner.js';
import { parseScenario, type ScenarioInput } from './scenario.js';

/** Two zones in one region, one in another; small enough to run in a fraction of a second. */
const small = (extra: Partial<ScenarioInput> = {}): ScenarioInput => ({
  name: 'small',
  duration: '4s',
  warmup: '1s',
  defaults: { capacity: 2, serviceTime: { dist: 'lognormal', meanMs: 5, sigma: 0.25 } },
  regions: [
    {
      name: 'eu',
      zones: [
        { name: 'eu-a', instances: 2 },
        { name: 'eu-b', instances: 2 },
      ],
    },
    { name: 'us', zones: [{ name: 'us-a', instances: 2 }] },
  ],
  callers: [
    { zone: 'eu-a', ratePerSec: 100 },
    { zone: 'eu-b', ratePerSec: 100 },
    { zone: 'us-a', ratePerSec: 100 },
  ],
  ...extra,
});

describe('simulation runs', () => {
  it('are deterministic: same seed, same report; another seed, other numbers', async () => {
    const scenario = parseScenario(small({ faults: [{ at: '2s', action: 'kill', target: 'eu-a-0' }] }));
    const policies = ['round-robin', 'locality+p2c-ewma'];
    const first = await runScenario(scenario, { policies });
    const second = await runScenario(scenario, { policies });
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    expect(formatReport(second)).toBe(formatReport(first));
    const other = await runScenario(scenario, { policies, seed: 2 });
    expect(JSON.stringify(other.runs)).not.toBe(JSON.stringify(first.runs));
  });

  it('counts calls, attempts and zones consistently', async () => {
    const scenario = parseScenario(small());
    const [rr] = selectPolicies(scenario, ['round-robin']);
    const result = await simulate(scenario, rr!);
    // ~300 calls/s over 3 measured seconds.
    expect(result.calls).toBeGreaterThan(800);
    expect(result.calls).toBeLessThan(1000);
    expect(result.errors).toBe(0);
    expect(result.attempts).toBe(result.calls);
    const perInstance = Object.values(result.instances).reduce((a, i) => a + i.attempts, 0);
    expect(perInstance).toBe(result.attempts);
    // Round robin over three equal zones: two thirds leave the caller's zone.
    expect(result.crossZoneShare).toBeGreaterThan(0.6);
    expect(result.crossZoneShare).toBeLessThan(0.73);
    expect(result.p99Ms).toBeGreaterThan(result.p50Ms);
  });

  it('retries a call refused by a killed instance on another instance', async () => {
    const scenario = parseScenario(
      small({
        faults: [{ at: '1500ms', action: 'kill', target: 'eu-b-1' }],
        callers: [{ zone: 'eu-b', ratePerSec: 100 }],
      }),
    );
    const [policy] = selectPolicies(scenario, ['locality+round-robin']);
    const result = await simulate(scenario, policy!);
    expect(result.failedAttempts).toBeGreaterThan(0);
    expect(result.errors).toBe(0);
    expect(result.attempts).toBe(result.calls + result.failedAttempts);
  });

  it('shows a drained instance no new calls once the registry says so', async () => {
    const scenario = parseScenario(
      small({
        faults: [{ at: '500ms', action: 'drain', target: 'eu-a-0' }],
        callers: [{ zone: 'eu-a', ratePerSec: 100 }],
      }),
    );
    const [policy] = selectPolicies(scenario, ['locality+p2c-ewma']);
    const result = await simulate(scenario, policy!);
    expect(result.instances['eu-a-0']?.attempts).toBe(0);
    expect(result.errors).toBe(0);
  });

  it('sweeps load factors over the named zone', async () => {
    const scenario = parseScenario(small({ sweep: { zone: 'eu-a', factors: [1, 2] }, duration: '2s' }));
    const report = await runScenario(scenario, { policies: ['k8s-topology'] });
    expect(report.runs.map((r) => r.load)).toEqual([1, 2]);
    const eu = report.runs.map((r) => r.byCallerZone['eu-a']?.calls ?? 0);
    expect(eu[1]! / eu[0]!).toBeGreaterThan(1.7);
    expect(formatReport(report)).toMatch(/LOAD[\s\S]*×2/);
  });
});
