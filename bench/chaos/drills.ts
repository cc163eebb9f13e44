import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startServerProcess } from '../../test/server/server-process.js';
import type { OwnedProcess } from '../../test/support/processes.js';
import type { AttackOutcome, Drill, DrillContext } from './drill-types.js';
import type { RegistrySecurity } from './registry-security.js';

/**
 * The drills of `npm run chaos`, by name: what each attacks and how. The runner
 * (`./runner.ts`) gives each a fleet, a caller and a clock, and writes its row.
 */

const ATTACKER = fileURLToPath(new URL('./attacker.ts', import.meta.url));

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts the attacker at the lowest CPU priority (nice 19). It shares this machine's cores with the
 * processes it attacks and with the callers whose latency the drill reports; a real attacker burns
 * its own machine's CPU (the slowloris's reconnect storm costs the attacker more CPU than the
 * registry: docs/reliability.md). At nice 19 it still runs flat out whenever a core is free.
 */
function attacker(ctx: DrillContext, mode: string, port: number, count = 1, token?: string): OwnedProcess {
  const args = [ATTACKER, mode, String(port), String(count), ...(token === undefined ? [] : [token])];
  const child = ctx.group.start(`attacker-${mode}`, process.execPath, ['--import', 'tsx', ...args]);
  try {
    setPriority(child.pid, 19);
  } catch {
    // Exited already, or the platform refuses: the drill runs at normal priority.
  }
  return child;
}

/** Hold an attack for the drill's time, then end the attacker. */
async function hold(ctx: DrillContext, child: OwnedProcess, during?: () => Promise<void>): Promise<void> {
  await child.waitForLine(/^ATTACKING/, 300_000);
  const until = performance.now() + ctx.holdMs;
  await during?.();
  await pause(Math.max(0, until - performance.now()));
  const last = child.lines.filter((l) => /^(CLOSED|STATUS)/.test(l)).at(-1);
  if (last !== undefined) ctx.notes.push(`attacker: ${last}`);
  await child.kill();
}

const server = (attack: Drill['attack']): Drill => ({ backend: 'server', attack });
const on = (p: OwnedProcess | undefined): AttackOutcome => ({ attacked: p === undefined ? [] : [p] });

/** A registry attack: hold it, and register a new instance in the middle of it. */
function onRegistry(
  mode: string,
  count: (short: boolean) => number,
  token?: (s: RegistrySecurity) => string,
): Drill['attack'] {
  return async (ctx) => {
    const registry = ctx.fleet.registry!;
    const child = attacker(
      ctx,
      mode,
      registry.port,
      count(ctx.short),
      token === undefined || ctx.security === undefined ? undefined : token(ctx.security),
    );
    await hold(ctx, child, async () => {
      await pause(ctx.holdMs / 2);
      const { ms, failures } = await ctx.registerNow();
      ctx.notes.push(
        `a registration during the attack was listed after ${Math.round(ms)} ms` +
          (failures.length === 0 ? '' : ` (${failures.length} tries failed first: ${failures[0]})`),
      );
      // A flood lasts until it has met the rate limit, however slowly a loaded machine runs it.
      if (mode === 'lease-flood') await child.waitForLine(/^STATUS .*\b429:/, 300_000);
    });
    return on(registry.process);
  };
}

export const DRILLS: Readonly<Record<string, Drill>> = {
  'kill -9 an instance': server(async (ctx) => {
    await ctx.fleet.instances[ctx.target]!.kill();
    await pause(ctx.holdMs);
    return on(undefined);
  }),
  'rolling SIGTERM restart of all': server(async (ctx) => {
    for (let i = 0; i < ctx.fleet.instances.length; i++) {
      await ctx.fleet.instances[i]!.stop(10_000);
      await ctx.restart(i, 'b');
    }
    return on(undefined);
  }),
  'kill -9 the registry, restart after 5 s': server(async (ctx) => {
    const registry = ctx.fleet.registry!;
    await registry.process.kill();
    await pause(ctx.short ? 2_000 : 5_000);
    const again = await startServerProcess(ctx.group, { port: registry.port, name: 'registry-2' });
    return { attacked: [again.process], recoveredAt: await ctx.recovered() };
  }),
  'etcd leader kill': {
    backend: 'etcd',
    attack: async (ctx) => {
      const etcd = ctx.fleet.etcd!;
      const killed = await etcd.killLeader();
      const recoveredAt = await ctx.recovered();
      await pause(ctx.holdMs);
      await etcd.restart(killed, 120_000);
      ctx.notes.push(`the killed member (${killed.name}) restarted and rejoined`);
      return { attacked: [], recoveredAt };
    },
  },
  'etcd quorum loss for 15 s': {
    backend: 'etcd',
    attack: async (ctx) => {
      const etcd = ctx.fleet.etcd!;
      const leader = await etcd.leader(60_000);
      const lost = [leader, etcd.members.find((m) => m !== leader)!];
      // kill -9 of the leader and one follower: the third member alone has no quorum.
      await Promise.all(lost.map((m) => etcd.kill(m)));
      await pause(ctx.short ? 3_000 : 15_000);
      await Promise.all(lost.map((m) => etcd.restart(m, 120_000)));
      const recoveredAt = await ctx.recovered();
      ctx.notes.push(
        `killed ${lost.map((m) => m.name).join(' and ')} (the leader first), restarted after ${ctx.short ? 3 : 15} s`,
      );
      return { attacked: lost.map((m) => m.process!), recoveredAt };
    },
  },
  'etcd quorum loss by SIGSTOP (leader frozen)': {
    backend: 'etcd',
    attack: async (ctx) => {
      const etcd = ctx.fleet.etcd!;
      const leader = await etcd.leader(60_000);
      const stopped = [leader, etcd.members.find((m) => m !== leader)!];
      // SIGSTOP: the members keep their sockets and state, as a frozen VM would.
      for (const m of stopped) m.process!.signal('SIGSTOP');
      await pause(ctx.short ? 3_000 : 15_000);
      for (const m of stopped) m.process!.signal('SIGCONT');
      const recoveredAt = await ctx.recovered();
      ctx.notes.push(
        `stopped ${stopped.map((m) => m.name).join(' and ')} (the leader first) for ${ctx.short ? 3 : 15} s`,
      );
      return { attacked: stopped.map((m) => m.process!), recoveredAt };
    },
  },
  'SIGSTOP/SIGCONT a server': server(async (ctx) => {
    const target = ctx.fleet.instances[ctx.target]!;
    target.signal('SIGSTOP');
    // Longer than a call's deadline: calls left on the frozen server would fail; only moving them
    // (frozen-peer detection, ~1.2 s) keeps the row at 0 failed.
    await pause(Math.max(ctx.holdMs, ctx.deadlineMs + 1_000));
    target.signal('SIGCONT');
    return on(target);
  }),
  'a client that never reads': server(async (ctx) => {
    await hold(ctx, attacker(ctx, 'never-read', ctx.fleet.ports[ctx.target]!));
    return on(ctx.fleet.instances[ctx.target]);
  }),
  'idle connections': server(async (ctx) => {
    await hold(ctx, attacker(ctx, 'idle', ctx.fleet.ports[ctx.target]!, ctx.short ? 2_000 : 19_500));
    return on(ctx.fleet.instances[ctx.target]);
  }),
  '300 half-sent frames': server(async (ctx) => {
    await hold(ctx, attacker(ctx, 'half-frames', ctx.fleet.ports[ctx.target]!, 300));
    return on(ctx.fleet.instances[ctx.target]);
  }),
  'a slowloris on the registry': {
    backend: 'server',
    onRegistry: true,
    attack: onRegistry('slowloris', (short) => (short ? 1_000 : 10_000)),
  },
  'a lease flood (open registry)': {
    backend: 'server',
    onRegistry: true,
    attack: onRegistry('lease-flood', () => 64),
  },
  'a lease flood (ACL: valid / wrong / no token)': {
    backend: 'server',
    onRegistry: true,
    acl: true,
    attack: onRegistry(
      'lease-flood',
      () => 64,
      (s) => s.attackerToken,
    ),
  },
};
