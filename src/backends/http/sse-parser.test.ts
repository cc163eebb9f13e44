import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import { reconnectBackoff } from './backoff.js';
import { SseParser } from './sse-parser.js';

describe('SseParser', () => {
  it('dispatches a message only at its blank line, across arbitrary chunk splits and line ends', () => {
    const text =
      ': hello\r\nretry: 1000\r\n\r\nevent: change\nid: 7\ndata: {"a":1}\n\nevent: reset\rid: 8\rdata: x\rdata: y\r\r';
    for (let split = 0; split <= text.length; split++) {
      const parser = new SseParser();
      const messages = [...parser.push(text.slice(0, split)), ...parser.push(text.slice(split))];
      expect(messages).toEqual([
        { event: 'change', id: '7', data: '{"a":1}' },
        { event: 'reset', id: '8', data: 'x\ny' },
      ]);
    }
  });

  it('never delivers a message cut off before its blank line', () => {
    const parser = new SseParser();
    expect(parser.push('event: change\nid: 9\ndata: {"half":')).toEqual([]);
    expect(parser.push('true}\n')).toEqual([]);
  });

  it('ignores comments and defaults the event name to "message"', () => {
    expect(new SseParser().push(': heartbeat\n\ndata:plain\n\n')).toEqual([
      { event: 'message', id: undefined, data: 'plain' },
    ]);
  });
});

describe('reconnectBackoff', () => {
  it('draws full jitter under a ceiling that doubles up to the maximum', () => {
    let step = reconnectBackoff(seededRandom(1), { initialMs: 50, maxMs: 800 });
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(800, 50 * 2 ** attempt);
      step = step.next();
      const delay = step.delayMs;
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(ceiling);
    }
    let fourth = reconnectBackoff(() => 0.5, { initialMs: 100, maxMs: 5_000 });
    for (let i = 0; i < 4; i++) fourth = fourth.next();
    expect(fourth.delayMs).toBe(400);
  });
});
