import type { Locality, LocalityInput } from '../core/locality.js';
import { type Env, localityFromEnv, type LocalityRole } from './env.js';
import { resolveTopologyConfig, type ResolvedSource, type TopologyOptions } from './options.js';
import { awsSource } from './sources/aws.js';
import { azureSource } from './sources/azure.js';
import { gcpSource } from './sources/gcp.js';
import { kubernetesSource } from './sources/kubernetes.js';
import type {
  PartialLocality,
  SourceAnswer,
  SourceReport,
  TopologyReport,
  TopologySource,
} from './topology.js';

/** What {@link lookupTopology} takes. */
export interface TopologyLookupOptions {
  /** Whose place: `service` reads `SERVICE_*` aliases, `client` reads `CLIENT_*` (default service). */
  readonly role?: LocalityRole;
  /** Fields set in code: they win over every source. */
  readonly configured?: LocalityInput | undefined;
  /** Default `process.env`. */
  readonly env?: Env;
  readonly topology?: TopologyOptions | undefined;
}

/**
 * Answers of network sources, per process: cloud and node placement do not change while a process
 * runs, and a registrar, a server and a client in one process should not each pay the lookup.
 * Keyed by the source's full settings; bounded (settings come from code and env, not peers, but a
 * test suite creates many).
 */
const answers = new Map<string, Promise<SourceAnswer>>();
const MAX_CACHED_ANSWERS = 64;

/**
 * Finds where this process runs: explicit options, then the sources in order (see
 * docs/topology.md). Each field comes from the first source that knows it; network sources are
 * asked at once (each within its own timeout and the whole lookup's budget, 500 ms by default) and
 * read in order, and are not asked at all when options and env already name region and zone.
 * Never throws for a source that fails: its answer is in the report. Throws INVALID_ARGUMENT for
 * bad options or a malformed variable, naming it.
 *
 * @example
 * ```ts
 * const report = await lookupTopology({ env: { PROXIMA_TOPOLOGY_SOURCES: 'env,aws' } });
 * if (!report.known) console.warn(topologyWarning(report));
 * ```
 */
export async function lookupTopology(options: TopologyLookupOptions = {}): Promise<TopologyReport> {
  const env = options.env ?? process.env;
  const role = options.role ?? 'service';
  const config = resolveTopologyConfig(options.topology, env);
  const locality = { region: '', zone: '', subzone: '' };
  const sources: SourceReport[] = [];
  const merge = (from: PartialLocality): void => {
    for (const key of ['region', 'zone', 'subzone'] as const) {
      const value = from[key];
      if (locality[key] === '' && value !== undefined && value !== '') locality[key] = value;
    }
  };
  const c = options.configured;
  if (c !== undefined && (c.region || c.zone || c.subzone)) {
    merge(c);
    sources.push({ source: 'options', answer: { kind: 'found', locality: { ...c }, detail: describe(c) } });
  }
  const complete = (): boolean => locality.region !== '' && locality.zone !== '';

  // Network sources start together (so the slowest bounds the lookup, not their sum) unless
  // options and env already name region and zone; their answers are then read in the listed order.
  const fromEnv = localityFromEnv(env, role);
  const readsEnv = config.sources.some((s) => s.name === 'env');
  const needed =
    (locality.region || (readsEnv ? fromEnv.region : '')) === '' ||
    (locality.zone || (readsEnv ? fromEnv.zone : '')) === '';
  const budget = new AbortController();
  const timer = setTimeout(
    () => budget.abort(new Error(`topology lookup budget of ${config.timeoutMs} ms spent`)),
    config.timeoutMs,
  );
  timer.unref();
  const pending = new Map<string, Promise<SourceAnswer>>();
  for (const source of config.sources) {
    if (source.name === 'env' || source.enabled !== true || !needed) continue;
    pending.set(source.name, ask(networkSource(source), source, config.cache, budget.signal));
  }
  try {
    for (const source of config.sources) {
      if (source.name === 'env') {
        merge(fromEnv);
        sources.push({ source: 'env', answer: envAnswer(fromEnv, role) });
        continue;
      }
      if (source.enabled !== true) {
        sources.push({ source: source.name, answer: { kind: 'skipped', detail: source.enabled } });
        continue;
      }
      const asked = pending.get(source.name);
      if (complete() || asked === undefined) {
        sources.push({
          source: source.name,
          answer: { kind: 'skipped', detail: 'not needed: region and zone already known' },
        });
        continue;
      }
      const answer = await asked;
      if (answer.kind === 'found') merge(answer.locality);
      sources.push({ source: source.name, answer });
    }
  } finally {
    clearTimeout(timer);
    budget.abort(new Error('lookup finished'));
  }
  const result: Locality = locality;
  return { locality: result, known: result.zone !== '', sources };
}

function ask(
  source: TopologySource,
  settings: ResolvedSource,
  cache: boolean,
  budget: AbortSignal,
): Promise<SourceAnswer> {
  const key = JSON.stringify(settings);
  const cached = cache ? answers.get(key) : undefined;
  if (cached !== undefined) return cached;
  const timeoutMs = 'timeoutMs' in settings ? settings.timeoutMs : 0;
  const signal = AbortSignal.any([budget, AbortSignal.timeout(timeoutMs)]);
  const answer = source.lookup(signal).then((a): SourceAnswer => {
    if (a.kind !== 'failed' || !signal.aborted) return a;
    // Cut short: not this source's answer for the process, so not cached.
    if (answers.get(key) === answer) answers.delete(key);
    return {
      kind: 'failed',
      detail: budget.aborted
        ? `no answer: ${budget.reason instanceof Error ? budget.reason.message : 'lookup ended'}`
        : `timed out after ${timeoutMs} ms`,
    };
  });
  if (cache) {
    if (answers.size >= MAX_CACHED_ANSWERS) answers.delete(answers.keys().next().value as string);
    answers.set(key, answer);
  }
  return answer;
}

function networkSource(source: Exclude<ResolvedSource, { name: 'env' }>): TopologySource {
  switch (source.name) {
    case 'kubernetes':
      return kubernetesSource(source);
    case 'aws':
      return awsSource(source);
    case 'gcp':
      return gcpSource(source);
    case 'azure':
      return azureSource(source);
  }
}

function envAnswer(l: Locality, role: LocalityRole): SourceAnswer {
  if (l.region || l.zone || l.subzone) return { kind: 'found', locality: l, detail: describe(l) };
  const alias = role === 'service' ? 'SERVICE' : 'CLIENT';
  return { kind: 'empty', detail: `PROXIMA_REGION/ZONE and ${alias}_REGION/ZONE unset` };
}

function describe(l: PartialLocality): string {
  return (['region', 'zone', 'subzone'] as const)
    .filter((k) => l[k])
    .map((k) => `${k} ${l[k]}`)
    .join(', ');
}
