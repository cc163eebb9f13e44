import { invalidArgument } from '../../core/errors.js';
import { parseInstance, type InstanceInput, type Instance } from '../../core/instance.js';
import { silentLogger } from '../../core/logger.js';
import { parseServiceName, parseTtlMs } from '../../registry/inputs.js';
import {
  type CallOptions,
  DEFAULT_TTL_MS,
  type LeaseOptions,
  type Registration,
  type RegisterOptions,
  type Registry,
  type ServiceListing,
  type WatchEvent,
  type WatchOptions,
} from '../../registry/registry.js';
import { EtcdConnection } from './connection.js';
import { decodeInstance, encodeInstance, KeyLayout, prefixRange } from './keys.js';
import { EtcdLease } from './lease.js';
import { BadKeys } from './malformed.js';
import { type EtcdRegistryInput, resolveEtcdOptions } from './options.js';
import { EtcdRegistration } from './registration.js';
import { watchService } from './watch.js';

/**
 * The registry on etcd v3. One lease per registrar session with all its instances attached, one
 * key per instance (`<prefix>/services/<service>/<id>`, the instance as JSON), revisions are etcd's
 * mod revisions, and `watch` is a prefix watch that resumes at the next revision after any
 * reconnect and re-lists (`reset`) after compaction. See docs/etcd-layout.md.
 *
 * @example
 * ```ts
 * await using registry = new EtcdRegistry({ endpoints: ['127.0.0.1:2379'] });
 * const lease = await registry.grant({ ttlMs: 10_000 });
 * await registry.register({ service: 'users', id: 'u1', address: '10.0.0.7:7000' }, { lease });
 * for await (const event of registry.watch('users')) console.log(event.type, event.revision);
 * ```
 */
export class EtcdRegistry implements Registry {
  readonly url: string;
  private readonly connection: EtcdConnection;
  private readonly keys: KeyLayout;
  private readonly badKeys: BadKeys;

  constructor(input: EtcdRegistryInput) {
    const options = resolveEtcdOptions(input);
    this.connection = new EtcdConnection(options);
    this.keys = new KeyLayout(options.prefix);
    this.badKeys = new BadKeys(options.logger ?? silentLogger);
    this.url = `etcd://${options.endpoints.join(',')}${options.prefix}`;
  }

  async grant(options: LeaseOptions): Promise<EtcdLease> {
    const ttlMs = parseTtlMs(options.ttlMs);
    // etcd leases are whole seconds, and etcd may raise a TTL to its minimum; it answers the TTL it chose.
    const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
    const response = await this.connection.call(
      'etcd lease grant',
      () => this.connection.client.leaseClient.leaseGrant({ TTL: seconds, ID: 0 }),
      options.signal,
    );
    return new EtcdLease(this.connection, response.ID, Number(response.TTL) * 1000, this.keys);
  }

  async register(input: InstanceInput, options: RegisterOptions = {}): Promise<Registration> {
    const instance = parseInstance(input);
    const given = options.lease;
    if (given !== undefined && !(given instanceof EtcdLease))
      throw invalidArgument('lease', 'not a lease of an etcd registry');
    const lease =
      given ??
      (await this.grant({
        ttlMs: options.ttlMs ?? DEFAULT_TTL_MS,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      }));
    lease.throwIfLost();
    const key = this.keys.instanceKey(instance.service, instance.id);
    try {
      await this.connection.call(
        `etcd put ${key}`,
        () =>
          this.connection.client.kv.put({
            key: Buffer.from(key, 'utf8'),
            value: encodeInstance(instance),
            lease: lease.id,
          }),
        options.signal,
      );
    } catch (error) {
      if (given === undefined) await lease.revoke().catch(() => undefined);
      throw lease.noticeLoss(error);
    }
    return new EtcdRegistration(this.connection, this.keys, instance, lease, given === undefined);
  }

  async list(service: string, options: CallOptions = {}): Promise<ServiceListing> {
    const name = parseServiceName(service);
    const response = await this.connection.call(
      `etcd list ${name}`,
      () => this.connection.client.kv.range(prefixRange(this.keys.servicePrefix(name))),
      options.signal,
    );
    const instances: Instance[] = [];
    for (const kv of response.kvs) {
      const parsed = this.keys.parse(kv.key);
      if (parsed === undefined || parsed.service !== name) {
        this.badKeys.note(kv.key, 'skipped a key outside the layout');
        continue;
      }
      const instance = decodeInstance(kv.value, parsed);
      // Not an instance: the key holds none (a watcher sees the same value as a delete).
      if (instance === undefined)
        this.badKeys.note(kv.key, 'treated a value that is not an instance as deleted');
      else instances.push(instance);
    }
    return { service: name, revision: Number(response.header.revision), instances };
  }

  watch(service: string, options: WatchOptions = {}): AsyncIterable<WatchEvent> {
    const deps = {
      connection: this.connection,
      keys: this.keys,
      badKeys: this.badKeys,
      list: (name: string, signal: AbortSignal) => this.list(name, { signal }),
    };
    return { [Symbol.asyncIterator]: () => watchService(deps, service, options) };
  }

  async services(options: CallOptions = {}): Promise<string[]> {
    const response = await this.connection.call(
      'etcd list services',
      () => this.connection.client.kv.range({ ...prefixRange(this.keys.servicesRoot), keys_only: true }),
      options.signal,
    );
    const names = new Set<string>();
    for (const kv of response.kvs) {
      const parsed = this.keys.parse(kv.key);
      if (parsed !== undefined) names.add(parsed.service);
      else this.badKeys.note(kv.key, 'skipped a key outside the layout');
    }
    return [...names].sort();
  }

  async close(): Promise<void> {
    this.connection.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
