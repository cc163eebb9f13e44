import type { ServiceDefinition } from '@grpc/grpc-js';
import type { AnyMessage } from './resources.js';
import type { XdsProtos } from './protos.js';

/** A `DiscoveryRequest` as decoded (snake_case, enums as names, defaults filled). */
export interface DiscoveryRequest {
  readonly version_info: string;
  readonly node?: {
    readonly id?: string;
    readonly cluster?: string;
    readonly locality?: {
      readonly region?: string;
      readonly zone?: string;
      readonly sub_zone?: string;
    } | null;
  } | null;
  readonly resource_names: readonly string[];
  readonly type_url: string;
  readonly response_nonce: string;
  readonly error_detail?: { readonly code?: number; readonly message?: string } | null;
}

/** A `DiscoveryResponse` to encode. */
export interface DiscoveryResponse {
  readonly version_info: string;
  readonly resources: readonly AnyMessage[];
  readonly type_url: string;
  readonly nonce: string;
  readonly control_plane?: { readonly identifier: string };
}

export const ADS_METHOD_PATH =
  '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

/**
 * The ADS service definition, with codecs from the loaded protos. Only the state-of-the-world
 * method is defined: grpc-js answers `DeltaAggregatedResources` with UNIMPLEMENTED.
 */
export function adsServiceDefinition(protos: XdsProtos): ServiceDefinition {
  const requestType = protos.type('envoy.service.discovery.v3.DiscoveryRequest');
  const responseType = protos.type('envoy.service.discovery.v3.DiscoveryResponse');
  return {
    StreamAggregatedResources: {
      path: ADS_METHOD_PATH,
      requestStream: true,
      responseStream: true,
      originalName: 'streamAggregatedResources',
      requestSerialize: (value: DiscoveryRequest) =>
        Buffer.from(requestType.encode(requestType.fromObject(value)).finish()),
      requestDeserialize: (bytes: Buffer): DiscoveryRequest =>
        requestType.toObject(requestType.decode(bytes), {
          defaults: true,
          longs: String,
          enums: String,
        }) as DiscoveryRequest,
      responseSerialize: (value: DiscoveryResponse) =>
        Buffer.from(responseType.encode(responseType.fromObject(value)).finish()),
      responseDeserialize: (bytes: Buffer): DiscoveryResponse =>
        responseType.toObject(responseType.decode(bytes), { defaults: true }) as DiscoveryResponse,
    },
  };
}
