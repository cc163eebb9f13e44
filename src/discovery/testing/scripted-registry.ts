import { ProximaError } from '../../core/errors.js';
import { Emitter, once } from '../../core/event.js';
import type { Instance } from '../../core/instance.js';
import type {
  Lease,
  Registration,
  Registry,
  ServiceListing,
  WatchEvent,
  WatchOptions,
} from '../../registry/registry.js';

/**
 * A registry whose watches are driven by the test: each `watch()` call opens a {@link ScriptedWatch}
 * into which the test pushes events or an error. Only `watch`, `list` and `close` work; it exists to
 * script failures (a watch that throws, a probe that fails) that a real backend cannot produce on cue.
 */
export class ScriptedRegistry implements Registry {
  readonly url = 'scripted:';
  /** Every watch opened so far, oldest first. */
  readonly watches: ScriptedWatch[] = [];
  /** When set, `list()` rejects with it (the registry is "unreachable"). */
  listError: Error | undefined;
  listCalls = 0;
  private readonly opened = new Emitter<ScriptedWatch>();

  /** Resolves with watch number `index` (0-based) once it is opened. */
  async watchNumber(index: number): Promise<ScriptedWatch> {
    for (;;) {
      const existing = this.watches[index];
      if (existing !== undefined) return existing;
      await once(this.opened.event, AbortSignal.timeout(5_000));
    }
  }

  watch(service: string, options: WatchOptions = {}): AsyncIterable<WatchEvent> {
    return {
      [Symbol.asyncIterator]: () => {
        const watch = new ScriptedWatch(service, options);
        this.watches.push(watch);
        this.opened.emit(watch);
        return watch.iterator();
      },
    };
  }

  list(service: string): Promise<ServiceListing> {
    this.listCalls++;
    if (this.listError !== undefined) return Promise.reject(this.listError);
    return Promise.resolve({ service, revision: 0, instances: [] });
  }

  grant(): Promise<Lease> {
    return Promise.reject(new ProximaError('UNIMPLEMENTED', 'scripted registry'));
  }

  register(): Promise<Registration> {
    return Promise.reject(new ProximaError('UNIMPLEMENTED', 'scripted registry'));
  }

  services(): Promise<string[]> {
    return Promise.resolve([]);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

type Item = { readonly event: WatchEvent } | { readonly error: Error } | { readonly end: true };

/** One open watch of a {@link ScriptedRegistry}. */
export class ScriptedWatch {
  /** True once the consumer stopped iterating or its signal aborted. */
  closed = false;
  private readonly queue: Item[] = [];
  private wake: (() => void) | undefined;

  constructor(
    readonly service: string,
    readonly options: WatchOptions,
  ) {}

  /** Delivers an event. */
  push(event: WatchEvent): void {
    this.enqueue({ event });
  }

  /** Makes the iterator throw (the registry became unreachable). */
  fail(error: Error = new ProximaError('UNAVAILABLE', 'scripted outage')): void {
    this.enqueue({ error });
  }

  /** Ends the iteration without an error. */
  end(): void {
    this.enqueue({ end: true });
  }

  async *iterator(): AsyncGenerator<WatchEvent> {
    const signal = this.options.signal;
    const onAbort = (): void => this.wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      for (;;) {
        const item = this.queue.shift();
        if (signal?.aborted) return;
        if (item === undefined) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          continue;
        }
        if ('error' in item) throw item.error;
        if ('end' in item) return;
        yield item.event;
      }
    } finally {
      this.closed = true;
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private enqueue(item: Item): void {
    this.queue.push(item);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** A minimal valid instance for scripts. */
export function scriptedInstance(id: string, service = 'users', zone = 'a'): Instance {
  return {
    service,
    id,
    address: '127.0.0.1:9000',
    protocol: 'proxima',
    locality: { region: 'eu', zone, subzone: '' },
    weight: 100,
    metadata: {},
    status: 'UP',
  };
}
