import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, type OwnedProcess, type ProcessGroup } from './processes.js';
import { freePorts } from './ports.js';

/** Cluster starts tried when a chosen port was taken before etcd bound it. */
const PORT_ATTEMPTS = 3;

/** Debian's etcd server binary; tests never skip when it is missing, they fail with the fix. */
export const ETCD_BINARY = '/usr/bin/etcd';
export const ETCD_INSTALL_COMMAND = 'apt-get install -y etcd-server etcd-client';

/** Throws with the exact install command when Debian's etcd is not installed. */
export function requireEtcd(): void {
  if (!existsSync(ETCD_BINARY)) {
    throw new Error(
      `${ETCD_BINARY} is missing: the etcd tests run a real etcd. Install it with: sudo ${ETCD_INSTALL_COMMAND} ` +
        '(npm test installs it by itself when run as root on Debian).',
    );
  }
}

export interface EtcdClusterOptions {
  /** 1 (default) or 3 members. */
  readonly members?: 1 | 3;
  /**
   * Raft heartbeat and election timeout in ms. Smaller values make leader failover fast; the
   * defaults (50 / 750) stay clear of spurious elections on a busy 2-core machine.
   */
  readonly heartbeatMs?: number;
  readonly electionMs?: number;
  /**
   * Also serve clients over TLS on a second port (`tlsEndpoint`), requiring client certificates
   * signed by `caFile`. The plain port stays open for the helpers' own health checks.
   */
  readonly tls?: EtcdTlsFiles | undefined;
  /** More etcd flags for every member, e.g. `--auth-token-ttl=1`. */
  readonly extraArgs?: readonly string[];
}

/** PEM files for a TLS client listener. */
export interface EtcdTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}

/** One etcd member: fixed ports and data dir, so it can be killed and restarted in place. */
export interface EtcdMember {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** `127.0.0.1:port`, as `etcd://` URLs list endpoints. */
  readonly endpoint: string;
  /** `127.0.0.1:port` of the TLS listener, when the cluster has one. */
  readonly tlsEndpoint: string | undefined;
  readonly dataDir: string;
  process: OwnedProcess | undefined;
}

interface StatusJson {
  header?: { member_id?: string; revision?: string };
  leader?: string;
}

/**
 * A real etcd (one member or a 3-member loopback cluster) on free ports with temporary data dirs,
 * owned by a {@link ProcessGroup} and ended by PID. Talks to members over etcd's HTTP/JSON gateway
 * so the helpers do not depend on the client under test.
 *
 * @example
 * ```ts
 * const group = new ProcessGroup();
 * const etcd = await EtcdCluster.start(group, { members: 3 });
 * const leader = await etcd.killLeader();
 * await etcd.restart(leader);
 * await etcd.stop();
 * ```
 */
export class EtcdCluster {
  private constructor(
    private readonly group: ProcessGroup,
    private readonly root: string,
    readonly members: readonly EtcdMember[],
    private readonly options: Required<EtcdClusterOptions>,
  ) {}

  /** Starts the members and waits until the cluster has a leader and every member is healthy. */
  static async start(group: ProcessGroup, options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    requireEtcd();
    const resolved: Required<EtcdClusterOptions> = {
      members: options.members ?? 1,
      heartbeatMs: options.heartbeatMs ?? 50,
      electionMs: options.electionMs ?? 750,
      tls: options.tls,
      extraArgs: options.extraArgs ?? [],
    };
    for (let attempt = 1; ; attempt++) {
      const cluster = await EtcdCluster.spawnCluster(group, resolved);
      try {
        await Promise.all(cluster.members.map((m) => cluster.serving(m)));
        await cluster.waitHealthy();
        return cluster;
      } catch (error) {
        // The ports are chosen free and released before etcd binds them; a suite running beside
        // this one can take one in that gap. The ports are baked into every member's
        // --initial-cluster, so the retry starts the whole cluster again on new ones.
        const lost = cluster.members.some((m) =>
          m.process?.lines.some((l) => l.includes('address already in use')),
        );
        await cluster.stop();
        if (!lost || attempt === PORT_ATTEMPTS) throw error;
      }
    }
  }

  private static async spawnCluster(
    group: ProcessGroup,
    options: Required<EtcdClusterOptions>,
  ): Promise<EtcdCluster> {
    const root = await mkdtemp(join(tmpdir(), 'proxima-etcd-'));
    const perMember = options.tls === undefined ? 2 : 3;
    const ports = await freePorts(options.members * perMember);
    const members: EtcdMember[] = [];
    for (let i = 0; i < options.members; i++) {
      const [clientPort = 0, peerPort = 0, tlsPort] = ports.slice(i * perMember, (i + 1) * perMember);
      members.push({
        name: `m${i}`,
        clientPort,
        peerPort,
        endpoint: `127.0.0.1:${clientPort}`,
        tlsEndpoint: tlsPort === undefined ? undefined : `127.0.0.1:${tlsPort}`,
        dataDir: join(root, `m${i}`),
        process: undefined,
      });
    }
    const cluster = new EtcdCluster(group, root, members, options);
    for (const member of members) cluster.spawn(member);
    return cluster;
  }

  /** Resolves when a just-spawned member serves clients; rejects at once if it exits first. */
  private async serving(member: EtcdMember, timeoutMs = 30_000): Promise<void> {
    const process = member.process;
    if (process === undefined) throw new Error(`etcd ${member.name}: not started`);
    await Promise.race([
      process.waitForLine('serving client traffic', timeoutMs),
      process.exited.then(({ code, signal }) => {
        throw new Error(
          `etcd ${member.name} exited (${signal ?? String(code)}) before serving. Output:\n${process.lines.slice(-10).join('\n')}`,
        );
      }),
    ]);
  }

  /** All client endpoints, `127.0.0.1:port`. */
  get endpoints(): string[] {
    return this.members.map((m) => m.endpoint);
  }

  /** An `etcd://` registry URL for every member, with an optional key prefix. */
  url(prefix = ''): string {
    return `etcd://${this.endpoints.join(',')}${prefix}`;
  }

  /** Members whose process is running. */
  get running(): EtcdMember[] {
    return this.members.filter((m) => m.process !== undefined && !m.process.hasExited);
  }

  /** Waits until every running member reports healthy (which needs an elected leader). */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await Promise.all(this.running.map((m) => m.process?.waitForLine('serving client traffic', timeoutMs)));
    await eventually(
      async () => {
        const states = await Promise.all(this.running.map((m) => this.health(m)));
        return states.every(Boolean);
      },
      timeoutMs,
      100,
    );
  }

  /** The current leader, as seen by the running members (all must agree). */
  async leader(timeoutMs = 15_000): Promise<EtcdMember> {
    const leader = await eventually(
      async () => {
        const statuses = await Promise.all(this.running.map(async (m) => ({ m, s: await this.status(m) })));
        const leaders = new Set(statuses.map(({ s }) => s.leader));
        const [leaderId] = [...leaders];
        if (leaders.size !== 1 || leaderId === undefined || leaderId === '0') return undefined;
        return statuses.find(({ s }) => s.header?.member_id === leaderId)?.m;
      },
      timeoutMs,
      100,
    );
    if (leader === undefined) throw new Error('etcd: no leader');
    return leader;
  }

  /** SIGKILLs the current leader and returns it (stopped, restartable with {@link restart}). */
  async killLeader(): Promise<EtcdMember> {
    const leader = await this.leader();
    await this.kill(leader);
    return leader;
  }

  /** How many watchers a member serves now (etcd's own gauge), to learn where a client's watch went. */
  async watchersOn(member: EtcdMember): Promise<number> {
    const response = await fetch(`http://${member.endpoint}/metrics`, { signal: AbortSignal.timeout(5_000) });
    const match = /^etcd_debugging_mvcc_watcher_total (\d+)/m.exec(await response.text());
    return Number(match?.[1] ?? 0);
  }

  /** Makes `target` the leader (etcd's leadership transfer, asked of the current leader). */
  async moveLeader(target: EtcdMember): Promise<void> {
    const leader = await this.leader();
    if (leader === target) return;
    const targetId = (await this.status(target)).header?.member_id;
    await this.post(leader, '/v3/maintenance/transfer-leadership', { targetID: targetId });
    await eventually(async () => (await this.leader()) === target, 15_000, 100);
  }

  /** SIGKILLs one member by PID and waits for its exit. */
  async kill(member: EtcdMember): Promise<void> {
    await member.process?.kill();
  }

  /** Starts a stopped member again on the same ports and data dir, and waits until it is healthy. */
  async restart(member: EtcdMember, timeoutMs = 30_000): Promise<void> {
    if (member.process !== undefined && !member.process.hasExited) return;
    this.spawn(member);
    await member.process?.waitForLine('serving client traffic', timeoutMs);
    await eventually(() => this.health(member), timeoutMs, 100);
  }

  /** Compacts history up to the current revision (physically), like an operator or auto-compaction. */
  async compact(): Promise<number> {
    const member = this.running[0];
    if (member === undefined) throw new Error('etcd: no running member');
    const status = await this.status(member);
    const revision = Number(status.header?.revision ?? '0');
    await this.post(member, '/v3/kv/compaction', { revision: String(revision), physical: true });
    return revision;
  }

  /** Kills every member and removes the data dirs. */
  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.process?.kill()));
    await rm(this.root, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private spawn(member: EtcdMember): void {
    const peers = this.members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
    const plain = `http://127.0.0.1:${member.clientPort}`;
    const tls = this.options.tls;
    const secure = member.tlsEndpoint === undefined ? [] : [`https://${member.tlsEndpoint}`];
    const tlsArgs =
      tls === undefined
        ? []
        : [
            `--cert-file=${tls.certFile}`,
            `--key-file=${tls.keyFile}`,
            `--trusted-ca-file=${tls.caFile}`,
            '--client-cert-auth',
          ];
    member.process = this.group.start(`etcd-${member.name}`, ETCD_BINARY, [
      `--name=${member.name}`,
      `--data-dir=${member.dataDir}`,
      `--listen-client-urls=${[plain, ...secure].join(',')}`,
      `--advertise-client-urls=${[plain, ...secure].join(',')}`,
      ...tlsArgs,
      `--listen-peer-urls=http://127.0.0.1:${member.peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${member.peerPort}`,
      `--initial-cluster=${peers}`,
      '--initial-cluster-state=new',
      `--initial-cluster-token=${this.root}`,
      `--heartbeat-interval=${this.options.heartbeatMs}`,
      `--election-timeout=${this.options.electionMs}`,
      ...this.options.extraArgs,
      '--logger=zap',
      '--log-outputs=stderr',
    ]);
  }

  private async health(member: EtcdMember): Promise<boolean> {
    try {
      const response = await fetch(`http://${member.endpoint}/health`, {
        signal: AbortSignal.timeout(2_000),
      });
      const body = (await response.json()) as { health?: string };
      return body.health === 'true';
    } catch {
      return false;
    }
  }

  private status(member: EtcdMember): Promise<StatusJson> {
    return this.post(member, '/v3/maintenance/status', {}) as Promise<StatusJson>;
  }

  private async post(member: EtcdMember, path: string, body: unknown): Promise<unknown> {
    const response = await fetch(`http://${member.endpoint}${path}`, {
      method: 'POST',
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    if (!response.ok)
      throw new Error(`etcd ${member.name} ${path}: HTTP ${response.status} ${await response.text()}`);
    return response.json();
  }
}
