import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ProximaError } from '../core/errors.js';
import { parseScenario, parseScenarioText, type ScenarioInput } from './scenario.js';
import { buildTopology, Network } from './topology.js';

const minimal = (extra: Partial<ScenarioInput> = {}): ScenarioInput => ({
  name: 'tiny',
  duration: '2s',
  regions: [
    {
      name: 'r1',
      zones: [
        { name: 'a', instances: 2 },
        { name: 'b', instances: 1 },
      ],
    },
  ],
  callers: [{ zone: 'a', ratePerSec: 10 }],
  ...extra,
});

function fieldOf(input: unknown): string | undefined {
  try {
    parseScenario(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ProximaError);
    return (error as ProximaError).field;
  }
  return undefined;
}

describe('scenario format', () => {
  it('fills the documented defaults', () => {
    const s = parseScenario(minimal());
    expect(s.duration).toBe(2000);
    expect(s.timeout).toBe(2000);
    expect(s.retry.maxAttempts).toBe(3);
    expect(s.defaults).toEqual({ capacity: 8, serviceTime: { dist: 'lognormal', meanMs: 10, sigma: 0.5 } });
    expect(s.network.sameZoneMs).toBe(0.25);
    expect(s.callers[0]?.clients).toBe(1);
  });

  it.each([
    [{ callers: [{ zone: 'nowhere', ratePerSec: 1 }] }, 'scenario.callers.0.zone'],
    [{ faults: [{ at: '1s', action: 'kill', target: 'x' }] }, 'scenario.faults.0.target'],
    [{ faults: [{ at: '5s', action: 'kill', target: 'a' }] }, 'scenario.faults.0.at'],
    [{ faults: [{ at: '1s', action: 'explode', target: 'a' }] }, 'scenario.faults.0.action'],
    [{ warmup: '3s' }, 'scenario.warmup'],
    [{ policies: ['fastest'] }, 'scenario.policies.0'],
    [{ policies: [{ name: 'x', balancer: { name: 'nope' } }] }, 'scenario.policies.0.balancer.name'],
    [{ defaults: { capacity: 0 } }, 'scenario.defaults.capacity'],
    [{ network: { pairs: [{ from: 'a', to: 'mars', rttMs: 3 }] } }, 'scenario.network.pairs.0.to'],
    [{ sweep: { zone: 'b', factors: [1, 2] } }, 'scenario.sweep.zone'],
    [{ regions: [{ name: 'a', zones: [{ name: 'a', instances: 1 }] }] }, 'scenario.regions.0.zones.0.name'],
  ])('names the bad field (%#)', (extra, field) => {
    expect(fieldOf(minimal(extra as Partial<ScenarioInput>))).toBe(field);
  });

  it('rejects text that is not JSON, naming the source', () => {
    expect(() => parseScenarioText('{', 'x.json')).toThrow(/x\.json: not valid JSON/);
  });

  it('accepts every example scenario', async () => {
    const dir = new URL('../../examples/scenarios/', import.meta.url);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) parseScenarioText(await readFile(new URL(file, dir), 'utf8'), file);
  });
});

describe('network', () => {
  it('uses explicit pairs first, zone pairs before region pairs, then the tiers', () => {
    const s = parseScenario(
      minimal({
        regions: [
          {
            name: 'r1',
            zones: [
              { name: 'a', instances: 1 },
              { name: 'b', instances: 1 },
            ],
          },
          {
            name: 'r2',
            zones: [
              { name: 'c', instances: 1 },
              { name: 'd', instances: 1 },
            ],
          },
        ],
        network: {
          sameZoneMs: 0.2,
          sameRegionMs: 1,
          crossRegionMs: 50,
          jitter: 0,
          pairs: [
            { from: 'r1', to: 'r2', rttMs: 70 },
            { from: 'd', to: 'a', rttMs: 90 },
          ],
        },
      }),
    );
    const net = new Network(s.network, buildTopology(s).regionOf, Math.random);
    expect(net.rttMs('a', 'a')).toBe(0.2);
    expect(net.rttMs('a', 'b')).toBe(1);
    expect(net.rttMs('a', 'c')).toBe(70);
    expect(net.rttMs('a', 'd')).toBe(90);
    expect(net.oneWayMs('c', 'a')).toBe(35);
  });
});
