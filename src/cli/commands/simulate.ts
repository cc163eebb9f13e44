import { readFile } from 'node:fs/promises';
import { invalidArgument, isProximaError } from '../../core/errors.js';
import { formatMarkdown, formatReport } from '../../simulate/report.js';
import { runScenario } from '../../simulate/runner.js';
import { parseScenarioText } from '../../simulate/scenario.js';
import { defineCommand } from '../command.js';
import { exampleNames, examplePath } from '../examples.js';
import { parseIntFlag } from '../../core/command-line/values.js';

/**
 * `proxima simulate SCENARIO [--policy a,b] [--seed N] [--json] [--markdown]`: runs a scenario
 * file through the discrete-event simulator (the real router, balancers and call policy on virtual
 * time) and prints one row per policy (and load factor, for sweeps). Same file and seed, same output.
 */
export const command = defineCommand({
  usage: 'SCENARIO | --example NAME [--policy NAMES] [--seed N] [--json | --markdown]',
  description: [
    'Simulates SCENARIO (a JSON file, see docs/simulate.md) under each routing policy and prints',
    'p50/p99 latency, the share of attempts served outside the caller’s zone (and region), failed',
    'calls, failed attempts and the busiest instance’s utilisation. Deterministic for a given seed.',
    'Policies: round-robin, least-request, locality+round-robin, locality+p2c-ewma, k8s-topology,',
    'lowest-latency-only, or those the scenario defines.',
    `Shipped scenarios (--example NAME): ${exampleNames('scenario').join(', ')}.`,
  ].join('\n'),
  flags: {
    example: {
      type: 'string',
      placeholder: 'NAME',
      description: `a scenario shipped with Proxima instead of a file (${exampleNames('scenario').join(', ')})`,
    },
    policy: {
      type: 'string',
      placeholder: 'NAMES',
      description: 'comma-separated policies to run (default: all)',
    },
    seed: { type: 'string', placeholder: 'N', description: "random seed (default: the scenario's)" },
    json: { type: 'boolean', description: 'print the full report as JSON' },
    markdown: { type: 'boolean', description: 'print the table as Markdown' },
  },
  positionals: [
    { name: 'SCENARIO', description: 'scenario file (JSON), or --example NAME', required: false },
  ],
  async run({ flags, positionals }, context) {
    if (flags.example !== undefined && positionals.SCENARIO !== undefined)
      throw invalidArgument('--example', 'give a SCENARIO file or --example NAME, not both');
    const file =
      flags.example === undefined
        ? positionals.SCENARIO
        : examplePath('scenario', flags.example, '--example');
    if (file === undefined)
      throw invalidArgument('SCENARIO', 'a scenario file (or --example NAME) is required');
    if (flags.json && flags.markdown)
      throw invalidArgument('--markdown', 'choose one of --json and --markdown');
    const seed = flags.seed === undefined ? undefined : parseIntFlag(flags.seed, '--seed', 0, 0xffff_ffff);
    const policies = flags.policy
      ?.split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw invalidArgument('SCENARIO', `cannot read ${file}: ${(error as Error).message}`);
    }
    const scenario = parseScenarioText(text, 'scenario');
    let report;
    try {
      report = await runScenario(scenario, { seed, policies });
    } catch (error) {
      if (isProximaError(error) && error.field?.startsWith('policies.') === true)
        throw invalidArgument('--policy', error.message.replace(/^policies\.\d+: /, ''));
      throw error;
    }
    if (flags.json) context.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else if (flags.markdown) context.stdout.write(formatMarkdown(report));
    else context.stdout.write(formatReport(report));
    return 0;
  },
});
