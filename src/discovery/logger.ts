/**
 * The slice of a pino logger the discovery layer writes to. Any pino `Logger` fits; the default
 * writes nothing, because a library should not print unless asked.
 */
export interface DiscoveryLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** A logger that drops everything. */
export const silentLogger: DiscoveryLogger = Object.freeze({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
});
