import { describe, expect, it } from 'vitest';
import { formatRow, runChaos } from '../../bench/chaos/drills.js';

/**
 * The short version of `npm run chaos`: real processes (a registry server, three instances, an
 * attacker), a caller at 1 000 calls/s in this process, a few seconds per drill. The full run,
 * with every drill, is in docs/reliability.md.
 */
describe('chaos drills (short)', () => {
  it('a frozen server, a never-reading client, 300 half-sent frames and 2 000 idle sockets: 0 failed calls, attacked RSS < 256 MB', async () => {
    const rows = await runChaos({
      short: true,
      shareFleet: true,
      only: [
        'SIGSTOP/SIGCONT a server',
        'a client that never reads',
        '300 half-sent frames',
        'idle connections',
      ],
    });
    for (const row of rows) {
      console.log(formatRow(row));
      expect(row.failed, `${row.drill}: ${row.firstErrors.join('; ')}`).toBe(0);
      expect(row.calls).toBeGreaterThan(2_000);
      expect(row.peakRssMb ?? 0).toBeLessThan(256);
    }
  }, 120_000);
});
