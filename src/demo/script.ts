import { parseDuration } from '../core/duration.js';
import { invalidArgument, isProximaError } from '../core/errors.js';

/** One thing the demo does to its fleet. Targets are an instance id or a `region/zone`. */
export type DemoAction =
  | { readonly kind: 'kill'; readonly target: string }
  | { readonly kind: 'slow'; readonly target: string; readonly ms: number }
  | { readonly kind: 'drain'; readonly target: string }
  | { readonly kind: 'restore' };

/** A scripted action and when it runs, in ms after the load starts. */
export interface ScriptStep {
  readonly atMs: number;
  readonly action: DemoAction;
  /** 1-based line in the script file (for messages). */
  readonly line: number;
}

/** Phase names the summary judges: what the fleet is going through after each action. */
export type PhaseName = 'healthy' | 'kill' | 'zone-loss' | 'slow' | 'drain' | 'recovery';

/** The phase an action starts. Killing a whole zone is `zone-loss`; killing one instance `kill`. */
export function phaseOf(action: DemoAction): PhaseName {
  switch (action.kind) {
    case 'kill':
      return action.target.includes('/') ? 'zone-loss' : 'kill';
    case 'slow':
      return 'slow';
    case 'drain':
      return 'drain';
    case 'restore':
      return 'recovery';
  }
}

/** The action as a person reads it. */
export function describeAction(action: DemoAction): string {
  switch (action.kind) {
    case 'kill':
      return `kill ${action.target}`;
    case 'slow':
      return `slow ${action.target} +${action.ms}ms`;
    case 'drain':
      return `drain ${action.target}`;
    case 'restore':
      return 'restore everything';
  }
}

/**
 * Parses a demo script: one step per line, `TIME ACTION [ARGS]`, `#` comments.
 *
 * ```text
 * 6s   kill eu-west-a-1        # one instance crashes (SIGKILL)
 * 10s  slow eu-west-a-2 40ms   # one answers 40 ms late
 * 14s  drain eu-west/a         # the caller's zone is drained
 * 18s  restore                 # everything back: restart, undrain, no delay
 * 20s  kill eu-west/a          # the whole zone is lost
 * ```
 *
 * Steps must be in time order. Throws INVALID_ARGUMENT whose field is `script:LINE`.
 */
export function parseScript(text: string): ScriptStep[] {
  const steps: ScriptStep[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const words = (raw.split('#')[0] ?? '').trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) return;
    const field = `script:${line}`;
    const [time = '', kind = '', ...args] = words;
    const atMs = duration(time, field);
    const previous = steps.at(-1);
    if (previous !== undefined && atMs < previous.atMs)
      throw invalidArgument(field, `${time} comes before the previous step (${previous.atMs} ms)`);
    steps.push({ atMs, action: action(kind, args, field), line });
  });
  return steps;
}

function action(kind: string, args: readonly string[], field: string): DemoAction {
  const arity = (n: number, usage: string): void => {
    if (args.length !== n) throw invalidArgument(field, `usage: TIME ${usage}`);
  };
  switch (kind) {
    case 'kill':
      arity(1, 'kill ID|REGION/ZONE');
      return { kind, target: args[0] as string };
    case 'slow':
      arity(2, 'slow ID|REGION/ZONE DELAY (e.g. 40ms)');
      return { kind, target: args[0] as string, ms: duration(args[1] as string, field) };
    case 'drain':
      arity(1, 'drain ID|REGION/ZONE');
      return { kind, target: args[0] as string };
    case 'restore':
      arity(0, 'restore');
      return { kind };
    default:
      throw invalidArgument(field, `unknown action "${kind}" (kill, slow, drain, restore)`);
  }
}

function duration(text: string, field: string): number {
  try {
    return parseDuration(text, field);
  } catch (error) {
    if (isProximaError(error)) throw invalidArgument(field, `bad time "${text}" (e.g. 500ms, 6s)`);
    throw error;
  }
}

/** The script `proxima demo --script` users start from: every failure once, about 30 s. */
export const DEFAULT_SCRIPT = `# proxima demo script: TIME ACTION [ARGS]; times count from the start of the load
4s   kill eu-west-a-1         # one instance in the caller's zone crashes (SIGKILL)
7s   slow eu-west-a-2 40ms    # another answers 40 ms late
9s   restore                  # restart the dead one, remove the delay
11s  drain eu-west/a          # the caller's whole zone is drained (DRAINING)
14s  restore                  # undrain
16s  kill eu-west/a           # the caller's whole zone is lost (SIGKILL x3)
20s  restore                  # the zone comes back
`;
