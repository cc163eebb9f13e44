import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRIPT, parseScript, phaseOf } from './script.js';

describe('demo script', () => {
  it('parses timed steps with comments, in order', () => {
    const steps = parseScript('# tour\n3s kill eu-west-a-1\n\n5s slow eu-west/a 40ms # late\n7s restore\n');
    expect(steps).toEqual([
      { atMs: 3000, action: { kind: 'kill', target: 'eu-west-a-1' }, line: 2 },
      { atMs: 5000, action: { kind: 'slow', target: 'eu-west/a', ms: 40 }, line: 4 },
      { atMs: 7000, action: { kind: 'restore' }, line: 5 },
    ]);
  });

  it('names the phase each action starts: a zone kill is zone-loss', () => {
    const phases = parseScript(DEFAULT_SCRIPT).map((s) => phaseOf(s.action));
    expect(phases).toEqual(['kill', 'slow', 'recovery', 'drain', 'recovery', 'zone-loss', 'recovery']);
  });

  it.each([
    ['3s explode x', /script:1: unknown action "explode"/],
    ['soon kill x', /script:1: bad time "soon"/],
    ['3s kill', /script:1: usage: TIME kill/],
    ['5s restore\n3s restore', /script:2: 3s comes before/],
  ])('refuses %j naming the line', (text, message) => {
    expect(() => parseScript(text)).toThrow(message);
  });
});
