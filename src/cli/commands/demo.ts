import { readFile } from 'node:fs/promises';
import { invalidArgument, isProximaError } from '../../core/errors.js';
import { runDemo } from '../../demo/demo.js';
import { DEFAULT_SCRIPT, parseScript, type ScriptStep } from '../../demo/script.js';
import { SUMMARY_RULES } from '../../demo/summary.js';
import { DEFAULT_PORT } from '../../server/options.js';
import { defineCommand } from '../command.js';
import { exampleNames, examplePath } from '../examples.js';
import { parseDurationFlag, parseIntFlag, parsePortFlag } from '../../core/command-line/values.js';

/**
 * `proxima demo`: the registry with its dashboard, nine instance processes in three zones over two
 * regions, and a load client in one zone, with a live table; `--script` breaks and repairs the
 * fleet, `--duration` makes it a headless run with a verdict (exit 1 when a check fails).
 */
export const command = defineCommand({
  usage: '[--script NAME|FILE|default] [--duration 30s] [--rate 300] [--port 7070]',
  description: [
    'Starts an embedded registry with the dashboard (its URL is printed first), nine demo instances',
    'as separate processes in eu-west/a, eu-west/b and us-east/c (simulated distance: 0.2 ms in a',
    'zone, 2 ms across zones, 30 ms across regions) and a client in eu-west/a sending steady load.',
    'Every second a table row shows calls/s, p50/p99, errors, the share of calls per zone and the',
    'endpoints out of rotation. In a terminal, keys break things: k kill one, s slow one, d drain',
    'the zone, z kill the zone, r restore, q quit. --script runs timed steps instead: a script',
    `shipped with Proxima (${exampleNames('demo-script').join(', ')}), "default" (the built-in one) or`,
    'a file (docs/demo.md). With --duration it stops by itself, prints a summary and exits 0 only if',
    'the routing checks pass. Ctrl-C stops every process.',
  ].join('\n'),
  flags: {
    script: {
      type: 'string',
      placeholder: 'NAME|FILE',
      description: `timed steps (kill, slow, drain, restore): ${[...exampleNames('demo-script'), 'default'].join(', ')} or a file`,
    },
    duration: {
      type: 'string',
      placeholder: 'DURATION',
      description: 'stop after this long and exit with the verdict (e.g. 30s); default: until Ctrl-C',
    },
    rate: { type: 'string', placeholder: 'N', description: 'calls per second of the client (default 300)' },
    host: {
      type: 'string',
      placeholder: 'HOST',
      description: 'interface of the registry (default 127.0.0.1)',
    },
    port: {
      type: 'string',
      placeholder: 'PORT',
      description: `registry + dashboard port, 0 for any (default ${DEFAULT_PORT}, or any free one if taken)`,
    },
    'per-zone': { type: 'string', placeholder: 'N', description: 'instances per zone (default 3)' },
    'min-local-share': {
      type: 'string',
      placeholder: 'PERCENT',
      description:
        "the verdict's same-zone share while healthy, 50-100 (default 99), and after recovery when lower than 95 (a machine busy with other work moves more out of zone)",
    },
    ttl: { type: 'string', placeholder: 'DURATION', description: 'lease TTL of the instances (default 3s)' },
    'load-spill': {
      type: 'string',
      placeholder: 'on|off',
      description:
        "the caller's load-aware spill (default on; off keeps scheduling stalls on a busy machine from moving traffic out of zone)",
    },
    'log-level': {
      type: 'string',
      placeholder: 'LEVEL',
      description: 'log level on stderr (default $PROXIMA_LOG_LEVEL, else info)',
    },
  },
  positionals: [],
  async run({ flags }, { stdout, logger, signal }) {
    const script = await loadScript(flags.script);
    const result = await runDemo(
      {
        host: flags.host ?? '127.0.0.1',
        port: flags.port === undefined ? DEFAULT_PORT : parsePortFlag(flags.port, '--port', true),
        portExplicit: flags.port !== undefined,
        rate: flags.rate === undefined ? 300 : parseIntFlag(flags.rate, '--rate', 1, 5_000),
        durationMs:
          flags.duration === undefined ? undefined : parseDurationFlag(flags.duration, '--duration'),
        script,
        perZone: flags['per-zone'] === undefined ? 3 : parseIntFlag(flags['per-zone'], '--per-zone', 1, 10),
        ttlMs: flags.ttl === undefined ? 3_000 : parseDurationFlag(flags.ttl, '--ttl'),
        loadSpill: parseOnOff(flags['load-spill'], '--load-spill', true),
        minLocalShare:
          flags['min-local-share'] === undefined
            ? SUMMARY_RULES.healthyLocalShare
            : parseIntFlag(flags['min-local-share'], '--min-local-share', 50, 100) / 100,
      },
      { stdout, stdin: process.stdin, signal, logger },
    );
    return flags.duration === undefined || result.summary.ok ? 0 : 1;
  },
});

async function loadScript(flag: string | undefined): Promise<ScriptStep[]> {
  if (flag === undefined) return [];
  let text: string;
  try {
    text =
      flag === 'default'
        ? DEFAULT_SCRIPT
        : await readFile(
            exampleNames('demo-script').includes(flag) ? examplePath('demo-script', flag, '--script') : flag,
            'utf8',
          );
  } catch (error) {
    throw invalidArgument('--script', `cannot read ${flag}: ${(error as Error).message}`);
  }
  try {
    return parseScript(text);
  } catch (error) {
    if (isProximaError(error) && error.code === 'INVALID_ARGUMENT') {
      throw invalidArgument('--script', error.message);
    }
    throw error;
  }
}

/** An `on` / `off` flag: INVALID_ARGUMENT naming it for anything else. */
function parseOnOff(value: string | undefined, flag: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === 'on' || value === 'off') return value === 'on';
  throw invalidArgument(flag, `expected on or off, got ${JSON.stringify(value)}`);
}
