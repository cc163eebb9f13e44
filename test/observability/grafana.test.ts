import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  clientMetrics,
  collectProcessMetrics,
  mountMetrics,
  serverMetrics,
} from '../../src/observability/index.js';
import { startRegistryServer } from '../../src/server/index.js';

const DASHBOARD = fileURLToPath(new URL('../../docs/grafana/proxima.json', import.meta.url));

/** Every metric name Proxima's factories register (histograms with their series suffixes). */
async function exportedNames(): Promise<Set<string>> {
  const registries = [new Registry(), new Registry(), new Registry(), new Registry()] as const;
  clientMetrics(registries[0], { perEndpoint: true });
  serverMetrics(registries[1]);
  collectProcessMetrics(registries[3]);
  const server = await startRegistryServer({ port: 0, logger: pino({ level: 'silent' }) });
  try {
    using _ = mountMetrics(server, registries[2]);
    const names = new Set<string>();
    for (const registry of registries) {
      for (const metric of registry.getMetricsAsArray() as unknown as Array<{ name: string; type: string }>) {
        names.add(metric.name);
        if (metric.type === 'histogram') {
          for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
        }
      }
    }
    return names;
  } finally {
    await server.close();
  }
}

/** Every PromQL expression of a dashboard: panel targets (nested rows too) and template queries. */
function expressions(dashboard: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown, key?: string): void => {
    if (Array.isArray(node)) return node.forEach((n) => walk(n));
    if (typeof node === 'object' && node !== null) {
      for (const [k, v] of Object.entries(node)) walk(v, k);
      return;
    }
    if (typeof node === 'string' && (key === 'expr' || (key === 'query' && node.includes('('))))
      found.push(node);
  };
  walk(dashboard);
  return found;
}

const FUNCTIONS_AND_KEYWORDS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'count',
  'by',
  'without',
  'rate',
  'increase',
  'irate',
  'histogram_quantile',
  'label_values',
  'le',
  'on',
  'ignoring',
  'group_left',
  'group_right',
]);

describe('docs/grafana/proxima.json', () => {
  it('is a valid Grafana dashboard whose every PromQL expression names metrics Proxima exports', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      title: string;
      uid: string;
      panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }>;
    };
    expect(dashboard.title).toBe('Proxima');
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    const graphs = dashboard.panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThanOrEqual(10);
    for (const p of graphs) expect(p.targets?.length, p.title).toBeGreaterThan(0);

    const exported = await exportedNames();
    const exprs = expressions(dashboard);
    expect(exprs.length).toBeGreaterThanOrEqual(graphs.length);
    const named = new Set<string>();
    for (const expr of exprs) {
      // Strip label matchers, strings and range selectors: what remains are functions, keywords
      // and metric names.
      const bare = expr
        .replace(/\{[^}]*\}/g, '')
        .replace(/"[^"]*"/g, '')
        .replace(/\[[^\]]*\]/g, '');
      const metrics = [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
        .map((m) => m[0])
        .filter(
          (t) =>
            !FUNCTIONS_AND_KEYWORDS.has(t) &&
            !/^(service|code|kind|state|route|status|result|caller_zone|endpoint_zone|scope)$/.test(t),
        );
      expect(metrics.length, expr).toBeGreaterThan(0);
      for (const m of metrics) {
        expect(exported.has(m), `${m} in ${expr}`).toBe(true);
        named.add(m);
      }
    }
    // The dashboard covers what the issue asks for.
    for (const m of [
      'proxima_client_calls_total',
      'proxima_client_call_duration_seconds_bucket',
      'proxima_client_picks_total',
      'proxima_client_ejections_total',
      'proxima_client_retries_total',
      'proxima_client_retry_budget_exhausted_total',
      'proxima_registry_instances',
      'proxima_registry_watchers',
    ]) {
      expect(named.has(m), m).toBe(true);
    }
  });
});
