import { describe, expect, it } from 'vitest';
import { recordingLogger } from '../../core/testing/recording-logger.js';
import { KeyLayout } from './keys.js';
import { BadKeys, MAX_REMEMBERED_BAD_KEYS } from './malformed.js';

describe('bad keys under the prefix', () => {
  it('are reported once each, again after they were fixed, and the memory of them is bounded', () => {
    const logger = recordingLogger();
    const warnings = logger.lines;
    const bad = new BadKeys(logger);
    bad.note('/p/services/a/x', 'not an instance');
    bad.note('/p/services/a/x', 'not an instance');
    expect(warnings.map((l) => [l.level, l.fields.key])).toEqual([['warn', '/p/services/a/x']]);
    bad.clear('/p/services/a/x');
    bad.note('/p/services/a/x', 'not an instance');
    expect(warnings).toHaveLength(2);
    // Whoever writes to etcd chooses the keys: flooding them costs a bounded set, not memory.
    for (let k = 0; k < 3 * MAX_REMEMBERED_BAD_KEYS; k++) bad.note(`/p/services/a/k${k}`, 'flood');
    expect(bad.size).toBeLessThanOrEqual(MAX_REMEMBERED_BAD_KEYS);
  });

  it('keys whose service name or id Proxima would refuse are outside the layout', () => {
    const keys = new KeyLayout('/p');
    expect(keys.parse('/p/services/Bad Name!/x')).toBeUndefined();
    expect(keys.parse('/p/services/users/bad id')).toBeUndefined();
    expect(keys.parse('/p/services/users/u1')).toEqual({ service: 'users', id: 'u1' });
  });
});
