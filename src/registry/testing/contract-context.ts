import { expect } from 'vitest';
import { isProximaError, type ErrorCode } from '../../core/errors.js';
import type { Instance, InstanceInput } from '../../core/instance.js';
import type { Registry, WatchEvent } from '../registry.js';
import { WatchRecorder } from './watch-recorder.js';

/**
 * What a backend hands the contract suite. `setup()` is called once per suite (`beforeAll`); every
 * test uses service names of its own, so the suite also runs against a shared registry namespace.
 */
export interface ContractTarget {
  /** A client of a fresh, empty registry (or a fresh namespace). */
  registry: Registry;
  /** Another independent client of the SAME registry (another process's view). */
  connect(): Promise<Registry>;
  /** Lets `ms` of registry time pass: `FakeClock.advance` for memory, a real sleep otherwise. */
  advance(ms: number): Promise<void>;
  /** Makes the registry drop old history, so a watch from an old revision must get `reset`. */
  compact(): Promise<void>;
  /** Closes clients and the registry/server. */
  close(): Promise<void>;
}

export interface ContractOptions {
  /** The TTL the suite grants; real backends run it in real time, so keep it about a second. */
  ttlMs: number;
  /** How long after its TTL an unrenewed lease may still exist (sweep period, etcd rounding). */
  expirySlackMs: number;
}

/** Shared state and helpers of one run of the contract suite. */
export class ContractContext {
  target!: ContractTarget;
  private n = 0;
  private readonly suffix = Date.now().toString(36);
  private readonly clients: Registry[] = [];
  private readonly recorders: WatchRecorder[] = [];

  constructor(readonly options: ContractOptions) {}

  /** A service name no other test of this run uses. */
  service(label: string): string {
    this.n += 1;
    return `${label}-${this.n}-${this.suffix}`;
  }

  /** Another client of the same registry, closed after the suite. */
  async connect(): Promise<Registry> {
    const client = await this.target.connect();
    this.clients.push(client);
    return client;
  }

  /** A watch recorder stopped after the suite if the test did not stop it. */
  record(registry: Registry, service: string, fromRevision?: number): WatchRecorder {
    const recorder = WatchRecorder.start(
      registry,
      service,
      fromRevision === undefined ? {} : { fromRevision },
    );
    this.recorders.push(recorder);
    return recorder;
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled(this.recorders.map((r) => r.stop()));
    await Promise.allSettled(this.clients.map((c) => c.close()));
    await this.target?.close();
  }
}

/** A valid instance input on loopback. */
export function instance(service: string, id: string, port: number): InstanceInput {
  return { service, id, address: `127.0.0.1:${port}` };
}

export function byId(instances: readonly Instance[]): Instance[] {
  return [...instances].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function lastRevision(events: readonly WatchEvent[]): number {
  return events.at(-1)?.revision ?? 0;
}

export function expectStrictlyIncreasing(revisions: readonly number[]): void {
  for (let i = 1; i < revisions.length; i++) expect(revisions[i]).toBeGreaterThan(revisions[i - 1] as number);
}

export function expectNonDecreasing(revisions: readonly number[]): void {
  for (let i = 1; i < revisions.length; i++)
    expect(revisions[i]).toBeGreaterThanOrEqual(revisions[i - 1] as number);
}

/** Awaits a rejection with one of `codes`; returns the error. */
export async function expectCode(promise: Promise<unknown>, ...codes: ErrorCode[]): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isProximaError(error))
    throw new Error(`expected a ProximaError ${codes.join('|')}, got ${String(error)}`);
  expect(codes).toContain(error.code);
  return error;
}

/** Awaits an INVALID_ARGUMENT rejection whose `field` matches. */
export async function expectInvalid(promise: Promise<unknown>, field: RegExp): Promise<Error> {
  const error = await expectCode(promise, 'INVALID_ARGUMENT');
  expect((error as { field?: string }).field ?? '').toMatch(field);
  return error;
}
