import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import { RequestController } from './request-controller.js';

/** A connection's controller that records what it was told. */
function connection(): Dispatcher.DispatchController & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    aborted: false,
    paused: false,
    reason: null,
    rawHeaders: [Buffer.from('a'), Buffer.from('1')],
    abort: (reason: Error) => log.push(`abort ${reason.message}`),
    pause: () => log.push('pause'),
    resume: () => log.push('resume'),
  };
}

describe('RequestController', () => {
  it('forwards control to the attached attempt and keeps a pause across attempts', () => {
    const idle: Error[] = [];
    const controller = new RequestController((reason) => idle.push(reason));
    const first = connection();
    controller.attach(first);
    controller.pause();
    expect(controller.rawHeaders).toEqual(first.rawHeaders);
    controller.detach();
    const second = connection();
    controller.attach(second);
    expect(second.log).toEqual(['pause']);
    controller.resume();
    expect(second.log).toEqual(['pause', 'resume']);
    expect(controller.paused).toBe(false);
    expect(idle).toEqual([]);
  });

  it('hands an abort between attempts to the request, and aborts the next attempt at once', () => {
    const idle: Error[] = [];
    const controller = new RequestController((reason) => idle.push(reason));
    controller.abort(new Error('stop'));
    controller.abort(new Error('twice'));
    expect(idle.map((e) => e.message)).toEqual(['stop']);
    expect(controller.aborted).toBe(true);
    const late = connection();
    controller.attach(late);
    expect(late.log).toEqual(['abort stop']);
  });

  it('aborts with a CANCELLED error when no reason is given', () => {
    const controller = new RequestController(() => undefined);
    controller.abort();
    expect(controller.reason).toMatchObject({ code: 'CANCELLED' });
  });
});
