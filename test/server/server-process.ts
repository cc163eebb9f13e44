import { fileURLToPath } from 'node:url';
import { freePort } from '../support/ports.js';
import type { OwnedProcess, ProcessGroup } from '../support/processes.js';

const MAIN = fileURLToPath(new URL('../../src/server/main.ts', import.meta.url));

/** A registry server in a child process, on a fixed port so it can be restarted in place. */
export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  readonly process: OwnedProcess;
}

/**
 * Starts `src/server/main.ts` through tsx and waits for its `registry listening` log line.
 * Pass `port` to restart a killed server on the same port; `nodeArgs` go to node (after tsx).
 */
export async function startServerProcess(
  group: ProcessGroup,
  options: { port?: number; args?: readonly string[]; name?: string; nodeArgs?: readonly string[] } = {},
): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const child = group.start(options.name ?? 'registry', process.execPath, [
    '--import',
    'tsx',
    ...(options.nodeArgs ?? []),
    MAIN,
    '--port',
    String(port),
    ...(options.args ?? []),
  ]);
  await child.waitForLine('registry listening', 30_000);
  return { url: `http://127.0.0.1:${port}`, port, process: child };
}
