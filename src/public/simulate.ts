/**
 * The routing simulator (`@proxima-rpc/proxima/simulate`): runs the real router, balancers and call policies on
 * virtual time against a modelled topology (zones, latency, faults), for comparing policies
 * before a rollout. `proxima simulate` is its command line.
 */
export { parseScenario, parseScenarioText, type Scenario, type ScenarioInput } from '../simulate/scenario.js';
export { runScenario, type RunOptions, type RunResult, type SimulationReport } from '../simulate/runner.js';
export { formatMarkdown, formatReport } from '../simulate/report.js';
export { NAMED_POLICIES, POLICY_NAMES, type SimPolicy } from '../simulate/policies.js';
export type { MetricsSummary, ZoneOutcome } from '../simulate/metrics.js';
export { VirtualClock } from '../simulate/virtual-clock.js';
