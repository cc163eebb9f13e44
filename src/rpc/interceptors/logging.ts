import { type Clock, systemClock } from '../../core/clock.js';
import { toProximaError } from '../../core/errors.js';
import type { ClientInterceptor } from '../client/interceptor.js';
import type { Logger } from '../../core/logger.js';
import type { ServerInterceptor } from '../server/context.js';

export interface LoggingOptions {
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Log successful calls too (at info); default false: only failures (at warn). */
  readonly logSuccess?: boolean;
}

/**
 * Logs each served call that fails (and, optionally, each success) with method, peer, duration
 * and error code.
 *
 * @example
 * ```ts
 * createServer({ services, interceptors: [serverLogging({ logger: pino() })] });
 * ```
 */
export function serverLogging(options: LoggingOptions): ServerInterceptor {
  const clock = options.clock ?? systemClock;
  return (next) => async (request, ctx) => {
    const start = clock.now();
    try {
      const result = await next(request, ctx);
      if (options.logSuccess) {
        options.logger.info(
          { method: ctx.method, peer: ctx.peer.address, ms: clock.now() - start },
          'rpc: served',
        );
      }
      return result;
    } catch (error) {
      const e = toProximaError(error);
      options.logger.warn(
        { method: ctx.method, peer: ctx.peer.address, ms: clock.now() - start, code: e.code, err: e.message },
        'rpc: call failed',
      );
      throw error;
    }
  };
}

/** The client-side twin of {@link serverLogging}. */
export function clientLogging(options: LoggingOptions): ClientInterceptor {
  const clock = options.clock ?? systemClock;
  return (next) => async (method, request, callOptions) => {
    const start = clock.now();
    try {
      const result = await next(method, request, callOptions);
      if (options.logSuccess) options.logger.info({ method, ms: clock.now() - start }, 'rpc: called');
      return result;
    } catch (error) {
      const e = toProximaError(error);
      options.logger.warn(
        { method, ms: clock.now() - start, code: e.code, unprocessed: e.unprocessed, err: e.message },
        'rpc: call failed',
      );
      throw error;
    }
  };
}
