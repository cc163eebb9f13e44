import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './parse.js';
import type { FlagSpecs, PositionalSpec } from './flags.js';
import { parseDurationFlag, parseIntFlag, parsePairsFlag, parsePortFlag } from './values.js';

const flags = {
  port: { type: 'string', placeholder: 'PORT', description: 'port', default: '7070' },
  service: { type: 'string', placeholder: 'NAME', description: 'service', required: true },
  zone: { type: 'string', placeholder: 'ZONE', description: 'zone' },
  meta: { type: 'list', placeholder: 'K=V', description: 'metadata' },
  json: { type: 'boolean', description: 'json' },
} as const satisfies FlagSpecs;
const positionals: PositionalSpec[] = [{ name: 'SERVICE', description: 'service', required: false }];

const parse = (...argv: string[]) => parseCommandLine(flags, positionals, argv);

describe('parseCommandLine', () => {
  it('parses separate and inline values, booleans, lists, defaults and positionals', () => {
    const line = parse('users', '--service', 's', '--zone=a', '--json', '--meta', 'a=1', '--meta=b=2');
    expect(line.help).toBe(false);
    expect(line.flags).toEqual({ port: '7070', service: 's', zone: 'a', meta: ['a=1', 'b=2'], json: true });
    expect(line.positionals).toEqual({ SERVICE: 'users' });
    // Typed by the spec: a defaulted flag is a string, an optional one may be undefined.
    const port: string = line.flags.port;
    const zone: string | undefined = line.flags.zone;
    expect([port, zone]).toEqual(['7070', 'a']);
  });

  it('takes everything after -- as positionals, and negative numbers as values', () => {
    expect(parse('--service', 's', '--', '--json').positionals).toEqual({ SERVICE: '--json' });
    expect(parse('--service', 's', '--zone', '-1').flags.zone).toBe('-1');
  });

  it('keeps negative numbers as positionals, once each, in order', () => {
    const line = parseCommandLine(
      flags,
      [...positionals, { name: 'N', description: 'n', required: false }],
      ['--service', 's', '-12', '-3'],
    );
    expect(line.positionals).toEqual({ SERVICE: '-12', N: '-3' });
  });

  it('names the flag for a list flag without a value and for an unknown flag with an inline value', () => {
    expect(() => parse('--service', 's', '--meta')).toThrow(/^--meta: needs a value \(--meta K=V\)/);
    expect(() => parse('--service', 's', '--bogus=1')).toThrow(/^--bogus: unknown flag/);
  });

  it('answers --help before checking anything else', () => {
    expect(parse('--nope', '-h').help).toBe(true);
    expect(parse('--help').help).toBe(true);
  });

  it.each([
    [['--service', 's', '--bogus'], '--bogus', /^--bogus: unknown flag/],
    [['--service', 's', '-x'], '-x', /unknown flag/],
    [['--service'], '--service', /^--service: needs a value/],
    [['--service', '--json'], '--service', /needs a value/],
    [['--service', 's', '--json=yes'], '--json', /takes no value/],
    [['--service', 's', '--zone', 'a', '--zone', 'b'], '--zone', /more than once/],
    [['--json'], '--service', /^--service: is required/],
    [['--service', 's', 'a', 'b'], 'b', /unexpected argument "b"/],
  ])('rejects %j naming %s', (argv, field, message) => {
    try {
      parse(...argv);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field });
      expect((error as Error).message).toMatch(message);
    }
  });

  it('names a missing required positional', () => {
    expect(() => parseCommandLine({}, [{ name: 'SERVICE', description: '', required: true }], [])).toThrow(
      /^SERVICE: is required/,
    );
  });
});

describe('flag values', () => {
  it('parse or name the flag', () => {
    expect(parsePortFlag('0', '--port', true)).toBe(0);
    expect(() => parsePortFlag('0', '--port')).toThrow(/^--port: expected an integer from 1 to 65535/);
    expect(() => parsePortFlag('80x', '--port')).toThrow(/^--port: /);
    expect(() => parseIntFlag('1.5', '--weight', 0, 10)).toThrow(/^--weight: /);
    expect(parseDurationFlag('1.5s', '--ttl')).toBe(1500);
    expect(() => parseDurationFlag('0s', '--ttl')).toThrow(/^--ttl: expected a positive duration/);
    expect(() => parseDurationFlag('soon', '--ttl')).toThrow(/^--ttl: expected a duration/);
    expect(parsePairsFlag(['a=1', 'b=x=y', 'c='], '--meta')).toEqual({ a: '1', b: 'x=y', c: '' });
    expect(() => parsePairsFlag(['=1'], '--meta')).toThrow(/^--meta: expected KEY=VALUE/);
    expect(() => parsePairsFlag(['a=1', 'a=2'], '--meta')).toThrow(/more than once/);
  });
});
