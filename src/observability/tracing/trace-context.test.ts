import { describe, expect, it } from 'vitest';
import { formatTraceparent, parseTraceparent, randomIds } from './trace-context.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('traceparent', () => {
  it('parses the W3C example and formats it back', () => {
    const header = `00-${TRACE}-${SPAN}-01`;
    const parsed = parseTraceparent(header, 'congo=t61rcWkgMzE');
    expect(parsed).toEqual({ traceId: TRACE, spanId: SPAN, flags: 1, state: 'congo=t61rcWkgMzE' });
    expect(formatTraceparent(parsed!)).toBe(header);
  });

  it('ignores what the spec says to ignore', () => {
    for (const bad of [
      undefined,
      '',
      `00-${TRACE}-${SPAN}`,
      `00-${'0'.repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `ff-${TRACE}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}-01-extra`,
      `00-${TRACE.slice(1)}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}-0g`,
    ]) {
      expect(parseTraceparent(bad), String(bad)).toBeUndefined();
    }
  });

  it('rejects upper-case hex, as the W3C spec and OpenTelemetry do', () => {
    // W3C trace-context test suite (test_traceparent_trace_id_uppercase and friends): ignore the header.
    expect(parseTraceparent(`00-${TRACE.toUpperCase()}-${SPAN}-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${TRACE}-${SPAN.toUpperCase()}-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-0A`)).toBeUndefined();
    expect(parseTraceparent(`0A-${TRACE}-${SPAN}-01`)).toBeUndefined();
  });

  it('accepts a future version with extra fields, and keeps only the known part', () => {
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-03-what-ever`)).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      flags: 3,
      state: undefined,
    });
  });

  it('drops a tracestate that is too long or not printable', () => {
    const header = `00-${TRACE}-${SPAN}-00`;
    expect(parseTraceparent(header, 'a=' + 'x'.repeat(600))?.state).toBeUndefined();
    expect(parseTraceparent(header, 'a=\u00e9')?.state).toBeUndefined();
    expect(parseTraceparent(header, '  ')?.state).toBeUndefined();
  });

  it('makes ids of the right shape that differ', () => {
    const ids = randomIds();
    // 1000 of each crosses several refills of the 4 KiB pool.
    const traces = new Set(Array.from({ length: 1000 }, () => ids.traceId()));
    const spans = new Set(Array.from({ length: 1000 }, () => ids.spanId()));
    expect(traces.size).toBe(1000);
    expect(spans.size).toBe(1000);
    for (const t of traces) expect(t).toMatch(/^[0-9a-f]{32}$/);
    for (const s of spans) expect(s).toMatch(/^[0-9a-f]{16}$/);
  });
});
