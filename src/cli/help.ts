import type { Command } from './command.js';
import type { CommandTable } from './commands.js';
import type { FlagSpec } from '../core/command-line/flags.js';

/** `proxima --help`: the commands and their one-line summaries. */
export function renderMainHelp(table: CommandTable): string {
  const names = Object.keys(table);
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((name) => `  ${name.padEnd(width)}  ${table[name]?.summary ?? ''}`);
  return [
    'Usage: proxima COMMAND [flags]',
    '',
    'Topology-aware service registration, discovery and RPC.',
    '',
    'Commands:',
    ...lines,
    '',
    "Run 'proxima COMMAND --help' for a command's flags.",
    '',
  ].join('\n');
}

/** `proxima NAME --help`: synopsis, description, positionals and flags with their defaults. */
export function renderCommandHelp(name: string, summary: string, command: Command): string {
  const rows: Array<[string, string]> = [
    ...command.positionals.map((p): [string, string] => [p.name, p.description]),
    ...Object.entries(command.flags).map(([flag, spec]): [string, string] => [
      flagLabel(flag, spec),
      flagText(spec),
    ]),
    ['-h, --help', 'show this help'],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    `Usage: proxima ${name} ${command.usage}`.trimEnd(),
    '',
    `${summary[0]?.toUpperCase() ?? ''}${summary.slice(1)}.`,
    '',
    command.description,
    '',
    'Arguments and flags:',
    ...rows.map(([label, text]) => `  ${label.padEnd(width)}  ${text}`),
    '',
  ].join('\n');
}

function flagLabel(name: string, spec: FlagSpec): string {
  return spec.type === 'boolean' ? `--${name}` : `--${name} ${spec.placeholder}`;
}

function flagText(spec: FlagSpec): string {
  if (spec.type === 'list') return `${spec.description} (repeatable)`;
  if (spec.type === 'string' && spec.required === true) return `${spec.description} (required)`;
  if (spec.type === 'string' && spec.default !== undefined)
    return `${spec.description} (default ${spec.default})`;
  return spec.description;
}
