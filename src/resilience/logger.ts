/**
 * The logging surface of the policy layer, pino-compatible (`logger.warn({ err }, 'msg')`). The
 * policy only warns: about errors it swallowed (`failsafe`) and calls it gave up on (`failback`).
 */
export interface PolicyLogger {
  warn(details: Record<string, unknown>, message: string): void;
}
