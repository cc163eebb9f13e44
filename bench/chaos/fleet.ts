/**
 * The real processes of a chaos drill: a registry (a Proxima registry server, or a 3-member etcd
 * cluster on loopback) and ≥ 3 instances of the `who` service, each in its own process.
 */
import { fileURLToPath } from 'node:url';
import { type ServerProcess, startServerProcess } from '../../test/server/server-process.js';
import { EtcdCluster } from '../../test/support/etcd.js';
import type { OwnedProcess, ProcessGroup } from '../../test/support/processes.js';

const SERVICE = fileURLToPath(new URL('./chaos-service.ts', import.meta.url));

/** Which registry a drill's fleet registers with. */
export type Backend = 'server' | 'etcd';

export interface Fleet {
  /** What instances and the caller are given as `PROXIMA_REGISTRY`. */
  readonly registryUrl: string;
  /** The registry server process (backend `server`). */
  readonly registry: ServerProcess | undefined;
  /** The etcd cluster (backend `etcd`). */
  readonly etcd: EtcdCluster | undefined;
  readonly instances: OwnedProcess[];
  readonly ports: number[];
  readonly service: string;
  /** Env of every instance process (e.g. `PROXIMA_TOKEN` when the registry has an ACL). */
  readonly instanceEnv: Readonly<Record<string, string>>;
}

export interface FleetOptions {
  readonly service: string;
  readonly size: number;
  readonly backend: Backend;
  /** More flags for the registry server (e.g. `--acl FILE`). */
  readonly registryArgs?: readonly string[];
  readonly instanceEnv?: Readonly<Record<string, string>>;
}

/**
 * Starts one instance process and waits for its `READY <port>` (it has listened and registered).
 * `nodeArgs` go to node after tsx (the soak adds its memory reporter).
 */
export async function startInstance(
  group: ProcessGroup,
  fleet: Pick<Fleet, 'registryUrl' | 'service' | 'instanceEnv'>,
  id: string,
  nodeArgs: readonly string[] = [],
): Promise<{ child: OwnedProcess; port: number }> {
  const child = group.start(id, process.execPath, ['--import', 'tsx', ...nodeArgs, SERVICE], {
    ...fleet.instanceEnv,
    PROXIMA_REGISTRY: fleet.registryUrl,
    WHO_SERVICE: fleet.service,
    WHO_ID: id,
  });
  const line = await child.waitForLine(/^READY \d+/, 120_000);
  return { child, port: Number(line.split(' ')[1]) };
}

export async function startFleet(group: ProcessGroup, options: FleetOptions): Promise<Fleet> {
  const { service, size, backend } = options;
  const instanceEnv = options.instanceEnv ?? {};
  let registry: ServerProcess | undefined;
  let etcd: EtcdCluster | undefined;
  if (backend === 'etcd') {
    // A short election timeout (as in test/etcd/leader-failover.test.ts): a new leader in ~1 s.
    etcd = await EtcdCluster.start(group, { members: 3, heartbeatMs: 50, electionMs: 500 });
  } else {
    registry = await startServerProcess(group, { name: 'registry', args: options.registryArgs ?? [] });
  }
  const registryUrl = etcd === undefined ? registry!.url : etcd.url(`/chaos-${service}`);
  const base = { registryUrl, service, instanceEnv };
  const started = await Promise.all(
    Array.from({ length: size }, (_, i) => startInstance(group, base, `${service}-${i}`)),
  );
  return {
    ...base,
    registry,
    etcd,
    instances: started.map((s) => s.child),
    ports: started.map((s) => s.port),
  };
}
