import { type Logger, type LogLevelName, loggerOf } from '../logger.js';

/** One line a {@link RecordingLogger} took. */
export interface LogLine {
  readonly level: LogLevelName;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly message: string | undefined;
}

/** A {@link Logger} for tests: keeps every line, in order. */
export interface RecordingLogger extends Logger {
  readonly lines: LogLine[];
  /** The messages logged at `level` (every level when absent). */
  messages(level?: LogLevelName): string[];
}

/** A logger that records what it is told, for tests that assert what was logged. */
export function recordingLogger(): RecordingLogger {
  const lines: LogLine[] = [];
  const logger = loggerOf((level, first, message) => {
    lines.push(
      typeof first === 'string'
        ? { level, fields: {}, message: first }
        : { level, fields: first as Record<string, unknown>, message },
    );
  });
  return {
    ...logger,
    lines,
    messages: (level) =>
      lines.filter((l) => level === undefined || l.level === level).map((l) => l.message ?? ''),
  };
}
