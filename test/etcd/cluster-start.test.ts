import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { EtcdCluster } from '../support/etcd.js';
import { type OwnedProcess, ProcessGroup } from '../support/processes.js';
import { freePorts } from '../support/ports.js';

/** A ProcessGroup that counts the processes it starts. */
class CountingGroup extends ProcessGroup {
  started = 0;
  override start(
    name: string,
    command: string,
    args: readonly string[],
    env?: NodeJS.ProcessEnv,
  ): OwnedProcess {
    this.started++;
    return super.start(name, command, args, env);
  }
}

function listen(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

describe('test helper: EtcdCluster.start', () => {
  const groups: ProcessGroup[] = [];
  afterAll(async () => {
    await Promise.all(groups.map((g) => g.killAll()));
  });

  it('freePorts gives distinct ports, even many at once', async () => {
    const ports = await freePorts(64);
    expect(new Set(ports).size).toBe(64);
  });

  it('a port taken before etcd binds it starts the whole cluster again, up to 3 times', async () => {
    // A port etcd is told to bind and cannot: every attempt fails the way a port taken by a
    // suite running beside this one does.
    const busy = await listen();
    const group = new CountingGroup();
    groups.push(group);
    try {
      const address = busy.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      await expect(
        EtcdCluster.start(group, { extraArgs: [`--listen-metrics-urls=http://127.0.0.1:${port}`] }),
      ).rejects.toThrow(/address already in use/);
      expect(group.started).toBe(3);
    } finally {
      busy.close();
    }
  });

  it('a member that exits for another reason fails the start at once, without a retry', async () => {
    const group = new CountingGroup();
    groups.push(group);
    await expect(EtcdCluster.start(group, { extraArgs: ['--no-such-flag'] })).rejects.toThrow(/exited/);
    expect(group.started).toBe(1);
  });
});
