import type { IncomingMessage } from 'node:http';
import type { Clock } from '../../core/clock.js';
import {
  type AuthPolicy,
  clientAddress,
  type Principal,
  type RequestScope,
  requireAccess,
} from '../seams.js';
import { type Limits, mergeLimits } from './limits.js';
import { RateLimiter, type RequestKind } from './rate-limiter.js';

/** A request let in: who sent it and the limits that apply to them. */
export interface Admitted {
  readonly principal: Principal;
  readonly limits: Limits;
}

/**
 * The one door of every API route: who is it (401), are they within their rate (429 with
 * `Retry-After`), may they do this (403) — in that order, so refused requests still spend rate.
 * Requests with a bad token spend the rate of their client address, which slows token guessing.
 */
export class Gatekeeper {
  private readonly rate: RateLimiter;

  constructor(
    readonly auth: AuthPolicy,
    private readonly defaults: Limits,
    private readonly clock: Clock,
    maxRateKeys?: number,
  ) {
    this.rate = new RateLimiter(maxRateKeys);
  }

  /** Admits a request for `scope`, or throws its 401 / 429 / 403. */
  admit(request: IncomingMessage, scope: RequestScope, kind: RequestKind = 'request'): Admitted {
    let principal: Principal;
    try {
      principal = this.auth.authenticate(request);
    } catch (error) {
      this.rate.admit(clientAddress(request), 'request', this.defaults, this.clock.now());
      throw error;
    }
    const limits = this.limitsOf(principal);
    this.rate.admit(principal.limitKey, kind, limits, this.clock.now());
    requireAccess(principal, scope);
    return { principal, limits };
  }

  /** The server's defaults with the identity's overrides. */
  limitsOf(principal: Principal): Limits {
    return mergeLimits(this.defaults, principal.limits);
  }

  /** Forgets rate buckets (after an ACL reload changed limits). */
  resetRates(): void {
    this.rate.clear();
  }
}
