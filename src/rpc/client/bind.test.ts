import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineService, method } from '../service/define.js';
import { bind, type Caller, type MethodInfo } from './bind.js';

const Api = defineService('users', {
  get: method({ input: z.object({ id: z.string() }), output: z.object({ id: z.string() }) }),
  put: method({ input: z.object({ id: z.string() }), output: z.object({}), idempotent: true }),
});

describe('bind', () => {
  it('sends through call(wire, payload, options, info) when the caller prepares nothing', async () => {
    const seen: Array<[string, unknown, unknown, MethodInfo | undefined]> = [];
    const caller: Caller = {
      call: (wire, payload, options, info) => {
        seen.push([wire, payload, options, info]);
        return Promise.resolve(payload);
      },
    };
    const users = bind(caller, Api);
    expect(await users.get({ id: '1' }, { deadlineMs: 50 })).toEqual({ id: '1' });
    expect(seen).toEqual([
      ['users.get', { id: '1' }, { deadlineMs: 50 }, { service: 'users', method: 'get', idempotent: false }],
    ]);
  });

  it('asks a caller that prepares for one sender per method, once, and sends every call through it', async () => {
    const prepared: Array<[string, MethodInfo]> = [];
    const sent: string[] = [];
    const caller: Caller = {
      call: () => Promise.reject(new Error('not used when prepared')),
      prepare: (wire, info) => {
        prepared.push([wire, info]);
        return (payload) => {
          sent.push(wire);
          return Promise.resolve(payload);
        };
      },
    };
    const users = bind(caller, Api);
    await users.get({ id: '1' });
    await users.get({ id: '2' });
    await users.put({ id: '3' });
    expect(prepared).toEqual([
      ['users.get', { service: 'users', method: 'get', idempotent: false }],
      ['users.put', { service: 'users', method: 'put', idempotent: true }],
    ]);
    expect(sent).toEqual(['users.get', 'users.get', 'users.put']);
  });
});
