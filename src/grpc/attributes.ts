import { experimental } from '@grpc/grpc-js';
import type { ChannelOptions } from '@grpc/grpc-js';
import type { Instance } from '../core/instance.js';
import type { ServiceRoutes } from '../routing/service-routes.js';
import type { PickNotes } from './pick-notes.js';

/**
 * The resolver attribute that carries Proxima's routing state to the load balancer. grpc-js merges
 * resolver attributes into the options the LB policy receives; the key starts with grpc-js's
 * "not a subchannel argument" prefix so these objects never reach subchannel pooling.
 */
export const RESOLVED_ATTRIBUTE = `${experimental.SUBCHANNEL_ARGS_EXCLUDE_KEY_PREFIX}.proxima.resolved`;

/** What one resolution hands the `proxima` LB policy: the service's routes and its instances. */
export class ResolvedService {
  constructor(
    readonly routes: ServiceRoutes,
    /** The instances speaking gRPC, as resolved (the endpoint list grpc-js got, with localities). */
    readonly instances: readonly Instance[],
    /** Where the picker tells traced calls which endpoint it chose. */
    readonly picks: PickNotes,
  ) {}
}

/** The resolution's Proxima state, or undefined when the target was not resolved by Proxima. */
export function readResolved(options: ChannelOptions): ResolvedService | undefined {
  const value: unknown = options[RESOLVED_ATTRIBUTE];
  return value instanceof ResolvedService ? value : undefined;
}
