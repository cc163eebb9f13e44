import type { Command } from './command.js';
import type { FlagSpecs } from '../core/command-line/flags.js';

/** A row of the command table: a one-line summary, and the command loaded only when it runs. */
export interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<Command<FlagSpecs>>;
}

export type CommandTable = Readonly<Record<string, CommandEntry>>;

/** Each command module exports `command`; loading lazily keeps `proxima ls` from loading gRPC. */
const entry = (summary: string, load: () => Promise<{ readonly command: Command }>): CommandEntry => ({
  summary,
  load: async () => (await load()).command,
});

/** The `proxima` commands. Adding a command is adding a row. */
export const COMMANDS: CommandTable = Object.freeze({
  registry: entry(
    'run the registry server (the embedded default registry)',
    () => import('./commands/registry.js'),
  ),
  xds: entry(
    'serve the registry over xDS to stock gRPC clients; `xds bootstrap` prints a client bootstrap',
    () => import('./commands/xds.js'),
  ),
  register: entry('keep an instance registered until SIGINT/SIGTERM', () => import('./commands/register.js')),
  ls: entry('list services and their instances', () => import('./commands/ls.js')),
  watch: entry("print a service's changes as they happen", () => import('./commands/watch.js')),
  demo: entry('run a live multi-zone demo with the dashboard', () => import('./commands/demo.js')),
  call: entry('call a method of a service and print the answer as JSON', () => import('./commands/call.js')),
  simulate: entry('simulate routing policies on a modelled topology', () => import('./commands/simulate.js')),
});
