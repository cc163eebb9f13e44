/**
 * The one logging surface of Proxima, shaped as pino's: each level takes `(fields, message?)` or
 * `(message)`, so a pino `Logger` (or a child) fits as is and a test can pass a recorder. Every
 * module that logs takes this type; a library prints nothing unless given one.
 *
 * @example
 * ```ts
 * import { pino } from 'pino';
 * const client = createClient({ registry, logger: pino({ level: 'debug' }) });
 * ```
 */
export interface Logger {
  /** Something failed that the caller should act on. */
  error(fields: object, message?: string): void;
  error(message: string): void;
  /** Something was refused, lost or degraded, and Proxima carried on. */
  warn(fields: object, message?: string): void;
  warn(message: string): void;
  /** Lifecycle: listening, registered, drained. */
  info(fields: object, message?: string): void;
  info(message: string): void;
  /** Per-connection and per-watch detail a peer can cause. */
  debug(fields: object, message?: string): void;
  debug(message: string): void;
}

/** The levels of {@link Logger}, loudest first. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

const drop = (): void => undefined;

/** Drops everything: the default of every option that takes a {@link Logger}. */
export const silentLogger: Logger = Object.freeze({ error: drop, warn: drop, info: drop, debug: drop });

/** True for an object with the four level methods (what options schemas accept as a logger). */
export function isLogger(value: unknown): value is Logger {
  if (typeof value !== 'object' || value === null) return false;
  const methods = value as Record<string, unknown>;
  return LOG_LEVELS.every((level) => typeof methods[level] === 'function');
}

/** What {@link loggerOf} is given for each line: the level and the arguments as called. */
export type LogWrite = (level: LogLevelName, first: object | string, message?: string) => void;

/** A {@link Logger} whose every line, at every level, goes to `write`. */
export function loggerOf(write: LogWrite): Logger {
  return {
    error: (first: object | string, message?: string) => write('error', first, message),
    warn: (first: object | string, message?: string) => write('warn', first, message),
    info: (first: object | string, message?: string) => write('info', first, message),
    debug: (first: object | string, message?: string) => write('debug', first, message),
  };
}

/** Writes one line to `logger` at `level` in the call shape it came in (the inverse of {@link loggerOf}). */
export function writeLog(
  logger: Logger,
  level: LogLevelName,
  first: object | string,
  message?: string,
): void {
  if (typeof first === 'string') logger[level](first);
  else if (message === undefined) logger[level](first);
  else logger[level](first, message);
}

/**
 * `logger` with `fields` added to every line (pino's `child(bindings)` for any {@link Logger});
 * a line's own fields win over the bound ones.
 */
export function withFields(logger: Logger, fields: Readonly<Record<string, unknown>>): Logger {
  return loggerOf((level, first, message) =>
    typeof first === 'string'
      ? logger[level](fields, first)
      : // An Error's own fields are not enumerable: keep it whole under `err`, as pino does.
        writeLog(
          logger,
          level,
          first instanceof Error ? { ...fields, err: first } : { ...fields, ...first },
          message,
        ),
  );
}

/** `logger` without the levels below `level` (`'warn'` keeps error and warn). */
export function atLeast(logger: Logger, level: LogLevelName): Logger {
  const rank = LOG_LEVELS.indexOf(level);
  return loggerOf((name, first, message) => {
    if (LOG_LEVELS.indexOf(name) <= rank) writeLog(logger, name, first, message);
  });
}
