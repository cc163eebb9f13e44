import type { OwnedProcess, ProcessGroup } from '../../test/support/processes.js';
import type { Backend, Fleet } from './fleet.js';
import type { ProbeSummary } from './registry-probe.js';
import type { RegistrySecurity } from './registry-security.js';

/** One row of the chaos table. */
export interface DrillRow {
  readonly drill: string;
  readonly calls: number;
  readonly failed: number;
  /** p99 of the calls started from the attack to the end of the drill. */
  readonly p99Ms: number;
  /** p99 of the calls before the attack. */
  readonly baselineP99Ms: number;
  /** Peak RSS (VmHWM) of the attacked process(es), MB; undefined when it was killed. */
  readonly peakRssMb: number | undefined;
  /**
   * From the attack's start to the last call that failed or took over 2× the baseline p99, or (for
   * drills on the registry or etcd) to when the registry served writes and listed every instance
   * again, or to the last registry probe that failed, whichever is latest.
   */
  readonly recoverMs: number;
  /** The registry probe (new connection per request) during the attack, for drills on the registry. */
  readonly registry: { readonly baseline: ProbeSummary; readonly during: ProbeSummary } | undefined;
  /** What the drill observed beyond the row (the attacker's counts, a join during the attack). */
  readonly notes: readonly string[];
  readonly firstErrors: readonly string[];
}

export interface ChaosOptions {
  /** Seconds-long drills for the test suite instead of the full run. */
  readonly short?: boolean;
  /** Drill names to run (default all). */
  readonly only?: readonly string[];
  /** Caller load, calls/s (default 1 000 short, 2 000 full). */
  readonly rate?: number;
  readonly log?: (line: string) => void;
  /**
   * Run every drill against one fleet (started once): only for drills that leave it whole
   * (SIGSTOP/SIGCONT and the attackers, or the etcd drills, which restart what they stop) and
   * that need the same backend, to keep the test suite's version short.
   */
  readonly shareFleet?: boolean;
}

export interface DrillContext {
  readonly group: ProcessGroup;
  readonly fleet: Fleet;
  readonly short: boolean;
  readonly holdMs: number;
  /** The deadline every call of the drill's caller carries. */
  readonly deadlineMs: number;
  /**
   * The instance the drill attacks: 0 on a fresh fleet; on a shared one each drill takes the next,
   * because peak RSS (VmHWM) is a lifetime figure and would blame a drill for its predecessor.
   */
  readonly target: number;
  /** Tokens of the registry's ACL, for drills whose registry has one. */
  readonly security: RegistrySecurity | undefined;
  /** Notes for the row (what the attacker saw, how long a join took). */
  readonly notes: string[];
  /** Starts instance `i` of the fleet anew (after a kill or stop). */
  restart(i: number, suffix: string): Promise<void>;
  /**
   * A registration made while the registry is under attack, through a new client (new
   * connections): grant, register (retrying as a registrar would), and see it listed by another
   * new client. Resolves with the time it took and the tries that failed.
   */
  registerNow(): Promise<{ readonly ms: number; readonly failures: readonly string[] }>;
  /**
   * Resolves with the time (performance.now()) at which the registry took a write again and
   * listed every instance of the fleet, and the caller's view held them all.
   */
  recovered(): Promise<number>;
}

/** What an attack leaves for the row: the attacked processes, and when the backend recovered. */
export interface AttackOutcome {
  readonly attacked: readonly OwnedProcess[];
  readonly recoveredAt?: number;
}

/** A drill: its fleet's backend, and the attack, which resolves when it is over. */
export interface Drill {
  readonly backend: Backend;
  /** Probe the registry server with real clients and join an instance during the attack. */
  readonly onRegistry?: boolean;
  /** Run the registry server with an ACL (tokens for the fleet and for an attacker). */
  readonly acl?: boolean;
  readonly attack: (ctx: DrillContext) => Promise<AttackOutcome>;
}
