/**
 * Commands `proxima demo` sends to an instance process on its stdin, one per line:
 * `slow MS` (add MS to every answer; 0 undoes it), `drain` (mark DRAINING, keep serving what
 * arrives), `undrain` (mark UP again).
 */
export type ControlCommand =
  { readonly kind: 'slow'; readonly ms: number } | { readonly kind: 'drain' } | { readonly kind: 'undrain' };

/** The line for a command. */
export function formatControl(command: ControlCommand): string {
  return command.kind === 'slow' ? `slow ${command.ms}\n` : `${command.kind}\n`;
}

/** Parses one line; undefined for anything else (ignored). */
export function parseControl(line: string): ControlCommand | undefined {
  const [word, arg] = line.trim().split(/\s+/);
  if (word === 'drain' || word === 'undrain') return { kind: word };
  if (word === 'slow') {
    const ms = Number(arg);
    if (Number.isFinite(ms) && ms >= 0) return { kind: 'slow', ms };
  }
  return undefined;
}
