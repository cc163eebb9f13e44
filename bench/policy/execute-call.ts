/**
 * Per-call overhead of the policy layer on its hot path: a failover call whose first attempt
 * succeeds. The picker and attempt are as cheap as possible (a pre-built pick, an already resolved
 * promise) so what is measured is executeCall itself. Minor GCs per million calls stand in for
 * allocation volume.
 *
 * Run: `npx tsx bench/policy/execute-call.ts` (add `--calls 2000000` for a longer run).
 */
import { PerformanceObserver } from 'node:perf_hooks';
import type { CallTracker, Endpoint, PickResult, Picker } from '../../src/balancer/picker.js';
import { systemClock } from '../../src/core/clock.js';
import { parseInstance } from '../../src/core/instance.js';
import { seededRandom } from '../../src/core/random.js';
import { callPolicy } from '../../src/resilience/call-policy.js';
import { Deadline } from '../../src/resilience/deadline.js';
import { executeCall } from '../../src/resilience/execute-call.js';
import type { Attempt, CallPolicy } from '../../src/resilience/policy.js';

const calls = Number(process.argv[process.argv.indexOf('--calls') + 1]) || 1_000_000;

const tracker: CallTracker = { done: () => undefined };
const endpoint: Endpoint = {
  id: 'a',
  instance: parseInstance({ service: 'bench', id: 'a', address: '127.0.0.1:9000' }),
};
const ok: PickResult = { kind: 'ok', endpoint, tracker };
const picker: Picker = { pick: () => ok };
const answer = Promise.resolve('pong');
const attempt: Attempt<string> = () => answer;

let minorGcs = 0;
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if ((entry as { detail?: { kind?: number } }).detail?.kind === 1) minorGcs++;
  }
});
gcObserver.observe({ entryTypes: ['gc'] });

async function measure(name: string, run: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 20_000; i++) await run(); // warm-up
  await new Promise((r) => setImmediate(r));
  const gcBefore = minorGcs;
  const start = performance.now();
  for (let i = 0; i < calls; i++) await run();
  const ms = performance.now() - start;
  await new Promise((r) => setTimeout(r, 50));
  const nsPerCall = (ms * 1e6) / calls;
  const gcPerMillion = ((minorGcs - gcBefore) * 1e6) / calls;
  console.log(
    `${name.padEnd(44)} ${nsPerCall.toFixed(0).padStart(6)} ns/call  ${(calls / (ms / 1000) / 1e6).toFixed(2)} M calls/s  ${gcPerMillion.toFixed(1)} minor GCs per 1M calls`,
  );
}

function policyOf(extra: Partial<Parameters<typeof callPolicy>[0]> = {}): CallPolicy {
  return callPolicy({ getPicker: () => picker, idempotent: true, random: seededRandom(1), ...extra });
}

const plain = policyOf();
const withTimeout = policyOf({ timeoutMs: 1000 });
const hedged = policyOf({ timeoutMs: 1000, hedging: { delayMs: 50 } });
const forking = policyOf({ failMode: 'forking', forks: 2 });
const controller = new AbortController();

console.log(`policy hot path, ${calls} calls each, node ${process.version}`);
await measure('baseline: await attempt() directly', () =>
  attempt(endpoint, { signal: controller.signal, attempt: 1, deadline: undefined }),
);
await measure('failover, no deadline', () => executeCall(plain, attempt));
await measure('failover, caller signal', () => executeCall(plain, attempt, { signal: controller.signal }));
await measure('failover, 1 s timeout (timer on system clock)', () => executeCall(withTimeout, attempt));
await measure('failover, explicit deadline', () =>
  executeCall(plain, attempt, { deadline: Deadline.after(systemClock, 1000) }),
);
await measure('failover + hedging (answer before the delay)', () => executeCall(hedged, attempt));
await measure('forking x2 (both answer; the loser is aborted)', () => executeCall(forking, attempt));
gcObserver.disconnect();
