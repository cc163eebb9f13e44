/**
 * The dashboard: a small static page served by the registry server at `/ui`, kept live by one
 * Server-Sent-Events stream (instances by region and zone, status, weight, lease time left,
 * metadata; with the demo, the traffic matrix and each endpoint's latency and ejection state).
 */
export { mountDashboard, type Dashboard, type DashboardOptions } from './routes.js';
export {
  parseTrafficReport,
  trafficReportSchema,
  TrafficBoard,
  type TrafficCell,
  type TrafficEndpoint,
  type TrafficReport,
} from './traffic.js';
export type { DashboardSnapshot, LeaseView } from './feed.js';
