import { describe, expect, it } from 'vitest';
import { type DrillRow, formatRow, runChaos } from '../../bench/chaos/runner.js';

/**
 * The short version of `npm run chaos`: real processes (a registry server or a 3-member etcd,
 * three instances, an attacker), a caller at 1 000 calls/s in this process, a few seconds per
 * drill. The full run, with every drill, is in docs/reliability.md.
 */
function expectTargets(rows: readonly DrillRow[]): void {
  for (const row of rows) {
    console.log(formatRow(row));
    for (const note of row.notes) console.log(`  ${row.drill}: ${note}`);
    expect(row.failed, `${row.drill}: ${row.firstErrors.join('; ')}`).toBe(0);
    expect(row.calls).toBeGreaterThan(2_000);
    expect(row.peakRssMb ?? 0).toBeLessThan(256);
    // Drills on the registry server: its real clients (new connections) are served throughout.
    expect(row.registry?.during.failed ?? 0, `${row.drill}: ${row.firstErrors.join('; ')}`).toBe(0);
  }
}

/** The HTTP statuses a lease flood's attacker got, from its last `STATUS 201:n 429:n` line. */
function statusCounts(row: DrillRow): Record<string, number> {
  const line = row.notes.find((n) => n.includes('STATUS')) ?? '';
  return Object.fromEntries(
    [...line.matchAll(/(\w+):(\d+)/g)].map((m) => [m[1]!, Number(m[2])] as [string, number]),
  );
}

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
    expectTargets(rows);
  }, 120_000);

  it('etcd: kill -9 of the leader, then quorum loss (2 of 3 members stopped for 3 s): 0 failed calls, every registration back', async () => {
    const rows = await runChaos({
      short: true,
      shareFleet: true,
      only: ['etcd leader kill', 'etcd quorum loss for 15 s'],
    });
    expectTargets(rows);
    // Each recovered: the drill waited (with a generous ceiling) for a write and the full listing.
    expect(rows.map((r) => r.notes.length)).toEqual([1, 1]);
  }, 300_000);

  it('the registry under a slowloris and lease floods (open, and with an ACL: valid, wrong and no token): 0 failed calls, registry served, RSS < 256 MB', async () => {
    const rows = await runChaos({
      short: true,
      only: [
        'a slowloris on the registry',
        'a lease flood (open registry)',
        'a lease flood (ACL: valid / wrong / no token)',
      ],
    });
    expectTargets(rows);
    // The floods met the rate limit (429) and got at most the lease cap (1,000 per identity);
    // with the ACL, a wrong token got 401 and no token 403 (anonymous may only read).
    for (const flood of rows.slice(1)) {
      const counts = statusCounts(flood);
      expect(counts['201'] ?? 0).toBeLessThanOrEqual(1_000);
      expect(counts['429'] ?? 0).toBeGreaterThan(0);
    }
    expect(statusCounts(rows[2]!)['401'] ?? 0).toBeGreaterThan(0);
  }, 300_000);
});
