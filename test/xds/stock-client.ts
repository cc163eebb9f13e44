import { fileURLToPath } from 'node:url';
import type { LocalityInput } from '../../src/core/locality.js';
import { xdsBootstrap } from '../../src/xds/bootstrap.js';
import { eventually, type OwnedProcess, type ProcessGroup } from '../support/processes.js';

const MAIN = fileURLToPath(new URL('./xds-client-main.ts', import.meta.url));

/** A stock `@grpc/grpc-js-xds` client process and the outcome of each of its calls, in order. */
export class StockClient {
  private constructor(readonly process: OwnedProcess) {}

  /** Starts a client at `locality` dialling `xds:///service` through the xDS server at `server`. */
  static start(
    group: ProcessGroup,
    name: string,
    server: string,
    locality: LocalityInput,
    service = 'who',
  ): StockClient {
    const bootstrap = xdsBootstrap({ nodeId: name, server, ...locality });
    return StockClient.withBootstrap(group, name, JSON.stringify(bootstrap), service);
  }

  /** Starts a client with this bootstrap JSON (as `proxima xds bootstrap` prints it). */
  static withBootstrap(group: ProcessGroup, name: string, bootstrap: string, service = 'who'): StockClient {
    const child = group.start(name, process.execPath, ['--import', 'tsx', MAIN], {
      GRPC_XDS_BOOTSTRAP_CONFIG: bootstrap,
      SERVICE: service,
      PACE_MS: '10',
    });
    return new StockClient(child);
  }

  /** Every call so far: the answering instance id, or `err …`. */
  get calls(): string[] {
    return this.process.lines
      .filter((l) => l.startsWith('ok ') || l.startsWith('err '))
      .map((l) => (l.startsWith('ok ') ? l.slice(3) : l));
  }

  get errors(): string[] {
    return this.calls.filter((c) => c.startsWith('err '));
  }

  /** Waits until the last `streak` calls all went to `id`. */
  async settlesOn(id: string, streak = 20, timeoutMs = 20_000): Promise<void> {
    await eventually(
      () => {
        const calls = this.calls;
        if (calls.length < streak) return false;
        const tail = calls.slice(-streak);
        return tail.every((c) => c === id);
      },
      timeoutMs,
      25,
    ).catch((error: unknown) => {
      throw new Error(
        `${this.process.name} never settled on ${id}; last calls: ${this.calls.slice(-10).join(', ')}`,
        {
          cause: error,
        },
      );
    });
  }
}
