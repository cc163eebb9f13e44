import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import { ProximaError } from '../core/errors.js';

/**
 * The Envoy v3 `.proto` files the ADS server needs. They ship inside `@grpc/grpc-js-xds` (an
 * optional peer dependency): the xDS server is the only part of Proxima that needs them, and taking
 * them from the very client library it is tested against keeps both sides on one API revision.
 */
const PROTO_FILES = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
] as const;

const PROTO_PACKAGE = '@grpc/grpc-js-xds';

/** The loaded message types, looked up once. */
export interface XdsProtos {
  readonly root: protobuf.Root;
  /** A message type by its full name; throws INTERNAL when the name was not loaded. */
  type(fullName: string): protobuf.Type;
}

/**
 * Loads the xDS protos (about 150 ms). Throws FAILED_PRECONDITION naming the package when
 * `@grpc/grpc-js-xds` is not installed.
 */
export function loadXdsProtos(): XdsProtos {
  const require = createRequire(import.meta.url);
  let base: string;
  try {
    base = dirname(require.resolve(`${PROTO_PACKAGE}/package.json`));
  } catch (error) {
    throw new ProximaError(
      'FAILED_PRECONDITION',
      `the xDS server needs the Envoy protos of ${PROTO_PACKAGE}: npm install ${PROTO_PACKAGE}`,
      { cause: error },
    );
  }
  const includeDirs = [
    ...['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(base, 'deps', d)),
    // google/protobuf/descriptor.proto is not among protobufjs's bundled well-known files.
    dirname(require.resolve('protobufjs/package.json')),
  ];
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if (isAbsolute(target)) return target;
    for (const dir of includeDirs) {
      const full = join(dir, target);
      if (existsSync(full)) return full;
    }
    return target;
  };
  root.loadSync([...PROTO_FILES], { keepCase: true });
  root.resolveAll();
  const cache = new Map<string, protobuf.Type>();
  return {
    root,
    type(fullName) {
      let found = cache.get(fullName);
      if (found === undefined) {
        const looked = root.lookup(fullName);
        if (!(looked instanceof protobuf.Type))
          throw new ProximaError('INTERNAL', `xDS proto type ${fullName} was not loaded`);
        found = looked;
        cache.set(fullName, found);
      }
      return found;
    },
  };
}
