import { describe, expect, it } from 'vitest';
import { parseTrafficReport } from '../dashboard/traffic.js';
import { LoadStats, quantile } from './load-stats.js';
import { LiveTable } from './table.js';

describe('load statistics', () => {
  it('takes nearest-rank quantiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(sorted, 0.5)).toBe(50);
    expect(quantile(sorted, 0.99)).toBe(99);
    expect(quantile([], 0.5)).toBe(0);
  });

  it('turns a window into a valid dashboard report and a table row', () => {
    const stats = new LoadStats('load-1', 'echo', 'eu-west/a');
    for (let i = 0; i < 9; i++) stats.success('eu-west/a', 'eu-west-a-1', 1);
    stats.success('eu-west/b', 'eu-west-b-1', 3);
    stats.failure('UNAVAILABLE');
    const w = stats.take(1000, undefined, 'kill');
    expect(w).toMatchObject({ calls: 11, errors: 1, errorCodes: { UNAVAILABLE: 1 } });
    expect(w.byZone).toEqual({ 'eu-west/a': 9, 'eu-west/b': 1 });
    expect(parseTrafficReport(w.report).matrix).toEqual([
      { from: 'eu-west/a', to: 'eu-west/a', callsPerSec: 9 },
      { from: 'eu-west/a', to: 'eu-west/b', callsPerSec: 1 },
    ]);
    const row = new LiveTable(['eu-west/a', 'eu-west/b'], () => undefined).row(3000, 'kill', w);
    expect(row).toMatch(/3s {2}kill +11 .* 90\.0% +10\.0% {2}- {2}\[UNAVAILABLE×1\]$/);
    expect(stats.take(1000, undefined).calls).toBe(0);
  });
});
