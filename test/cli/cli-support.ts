import { type OwnedProcess, type ProcessGroup } from '../support/processes.js';

/** A `proxima registry` process and the URL it printed. */
export interface RegistryProcess {
  readonly process: OwnedProcess;
  readonly url: string;
}

/** Starts `proxima registry --port PORT` and waits for its "listening" line. */
export async function startRegistry(
  group: ProcessGroup,
  name: string,
  port: number,
): Promise<RegistryProcess> {
  const process = group.proxima(name, ['registry', '--port', String(port)], { PROXIMA_LOG_LEVEL: 'warn' });
  const line = await process.waitForLine(/^registry listening on http:\/\//, 30_000);
  return { process, url: line.slice('registry listening on '.length).trim() };
}

/** Runs a one-shot command (logs silenced, so every line is stdout) and returns its exit code and output. */
export async function runOnce(
  group: ProcessGroup,
  name: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; output: string }> {
  const process = group.proxima(name, args, { PROXIMA_LOG_LEVEL: 'silent', ...env });
  const { code } = await process.exited;
  return { code, output: process.lines.join('\n') };
}

/** The JSON lines a `proxima watch --json` process printed, parsed (log lines skipped). */
export function watchEvents(process: OwnedProcess): WatchLine[] {
  return process.lines.filter((l) => l.startsWith('{"type"')).map((l) => JSON.parse(l) as WatchLine);
}

export interface WatchLine {
  readonly type: string;
  readonly revision: number;
  readonly id?: string;
  readonly instance?: { readonly id: string; readonly status: string };
  readonly instances?: ReadonlyArray<{ readonly id: string }>;
  readonly unconfirmed?: readonly string[];
}

/** Milliseconds until `process` prints a line matching `pattern` (measured from the call). */
export async function msUntilLine(
  process: OwnedProcess,
  pattern: RegExp,
  timeoutMs = 15_000,
): Promise<number> {
  const start = performance.now();
  await process.waitForLine(pattern, timeoutMs);
  return performance.now() - start;
}

/** The instance ids a watch's lines add up to (reset replaces, upsert adds, delete removes). */
export function watchedIds(events: readonly WatchLine[]): string[] {
  const ids = new Set<string>();
  for (const e of events) {
    if (e.type === 'reset') {
      ids.clear();
      for (const i of e.instances ?? []) ids.add(i.id);
      for (const id of e.unconfirmed ?? []) ids.add(id);
    } else if (e.type === 'upsert' && e.instance !== undefined) ids.add(e.instance.id);
    else if (e.type === 'delete' && e.id !== undefined) ids.delete(e.id);
  }
  return [...ids].sort();
}
