import { Writable } from 'node:stream';
import { type Logger as PinoLogger, pino } from 'pino';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { atLeast, isLogger, type Logger, silentLogger, withFields } from './logger.js';
import { recordingLogger } from './testing/recording-logger.js';

/** A real pino logger at `debug` whose JSON lines land in `lines`. */
function pinoInto(lines: Array<Record<string, unknown>>): PinoLogger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return pino({ level: 'debug', base: null, timestamp: false }, sink);
}

describe('Logger', () => {
  it('takes a real pino logger and its children as they are, without a cast', () => {
    expectTypeOf<PinoLogger>().toExtend<Logger>();
    expectTypeOf<ReturnType<PinoLogger['child']>>().toExtend<Logger>();
    // What an application writes: these lines fail to compile if pino stops fitting.
    const root: Logger = pino({ level: 'silent' });
    const child: Logger = pino({ level: 'silent' }).child({ component: 'x' });
    expect(isLogger(root) && isLogger(child)).toBe(true);
    // Both call shapes pino has, and no shape pino lacks.
    expectTypeOf<Logger['warn']>().toBeCallableWith({ err: 'x' }, 'message');
    expectTypeOf<Logger['warn']>().toBeCallableWith({ err: 'x' });
    expectTypeOf<Logger['warn']>().toBeCallableWith('message');
    // @ts-expect-error a message is a string
    root.warn({ a: 1 }, 42);
  });

  it('isLogger wants all four levels (a recorder with only warn is not a logger)', () => {
    expect(isLogger(silentLogger)).toBe(true);
    expect(isLogger(recordingLogger())).toBe(true);
    expect(isLogger({ warn: () => undefined })).toBe(false);
    expect(isLogger(null)).toBe(false);
  });

  it('withFields adds fields to every line through pino, and the line’s own fields win', () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = withFields(pinoInto(lines), { component: 'xds', node: 'default' });
    logger.info({ node: 'a' }, 'stream started');
    logger.warn('plain message');
    logger.debug({ count: 2 });
    logger.error(new Error('boom'));
    expect(lines).toEqual([
      { level: 30, component: 'xds', node: 'a', msg: 'stream started' },
      { level: 40, component: 'xds', node: 'default', msg: 'plain message' },
      { level: 20, component: 'xds', node: 'default', count: 2 },
      expect.objectContaining({
        level: 50,
        component: 'xds',
        err: expect.objectContaining({ message: 'boom' }),
      }),
    ]);
  });

  it('atLeast drops the levels below the given one', () => {
    const recorder = recordingLogger();
    const quiet = atLeast(recorder, 'warn');
    quiet.debug({ a: 1 }, 'debug');
    quiet.info('info');
    quiet.warn({ b: 2 }, 'warn');
    quiet.error('error');
    expect(recorder.lines).toEqual([
      { level: 'warn', fields: { b: 2 }, message: 'warn' },
      { level: 'error', fields: {}, message: 'error' },
    ]);
  });
});
