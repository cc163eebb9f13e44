import type { Registry } from 'prom-client';
import type { Registrar } from '../../registrar/registrar.js';
import { CounterFamily, GaugeFamily } from './cells.js';
import { type MetricsOptions, resolveOptions } from './common.js';

/**
 * A registrar's state as metrics (what `proxima register --metrics-port` serves): whether its
 * instances are registered, lease losses and registrations, all at 0 from the start so alerts on
 * `increase()` work on a healthy process. Dispose to stop listening to the registrar.
 *
 * Metrics (label `service`): `proxima_registrar_registered` (1 while registered, else 0),
 * `proxima_registrar_instances`, `proxima_registrar_registrations_total{kind="first"|"again"}`,
 * `proxima_registrar_leases_lost_total`, `proxima_registrar_errors_total`.
 *
 * @example
 * ```ts
 * const metrics = new Registry();
 * using _ = registrarMetrics(metrics, registrar);
 * await using endpoint = await serveMetrics(metrics, { port: 9464 });
 * ```
 */
export function registrarMetrics(
  registry: Registry,
  registrar: Registrar,
  options: MetricsOptions = {},
): Disposable {
  const { name } = resolveOptions(options, 'registrarMetrics');
  const service = registrar.instances[0]?.service ?? '';
  const labels = { service };
  const registered = new GaugeFamily(
    registry,
    name('registrar_registered'),
    'Whether the registrar holds its registration now (1) or not (0: registering, draining, closed).',
  );
  const instances = new GaugeFamily(
    registry,
    name('registrar_instances'),
    'Instances the registrar keeps registered.',
  );
  const registrations = new CounterFamily(
    registry,
    name('registrar_registrations_total'),
    'Registrations that succeeded: the first, and again after a lost lease.',
  );
  const lost = new CounterFamily(
    registry,
    name('registrar_leases_lost_total'),
    'Leases the registry dropped.',
  );
  const errors = new CounterFamily(registry, name('registrar_errors_total'), 'Failed registry operations.');
  const registeredCell = registered.bind(labels);
  const instancesCell = instances.bind(labels);
  const first = registrations.bind({ ...labels, kind: 'first' });
  const again = registrations.bind({ ...labels, kind: 'again' });
  const lostCell = lost.bind(labels);
  const errorCell = errors.bind(labels);
  registered.collect = () => {
    registeredCell.value = registrar.state === 'registered' ? 1 : 0;
  };
  instances.collect = () => {
    instancesCell.value = registrar.instances.length;
  };
  if (registrar.state === 'registered') first.value++;
  const subs = [
    registrar.onRegistered(() => first.value++),
    registrar.onReregistered(() => again.value++),
    registrar.onLost(() => lostCell.value++),
    registrar.onError(() => errorCell.value++),
  ];
  return {
    [Symbol.dispose]: () => {
      for (const s of subs) s[Symbol.dispose]();
    },
  };
}
