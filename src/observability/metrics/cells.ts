import type { Registry } from 'prom-client';

/**
 * Metric families whose series are plain numbers and typed arrays, bound once per label set and
 * folded into the exposition when the registry is scraped. prom-client's own `inc(labels)` hashes
 * the label object on every call (sorting its keys and joining them into a string); on a per-call
 * path that costs more than the RPC itself. Here the call path touches one pre-bound cell: `n++`,
 * or a bucket index and two additions.
 *
 * The families implement the part of prom-client's metric interface its `Registry` reads
 * (`name`, `help`, `type`, `aggregator`, `get()`, `reset()`), so they sit in the same registry as
 * prom-client's own metrics and scrape, merge and lint the same way.
 */
type Labels = Readonly<Record<string, string>>;

interface MetricValue {
  readonly value: number;
  readonly labels: Labels;
  readonly metricName?: string;
}

interface MetricObject {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregator: 'sum';
  readonly values: MetricValue[];
}

abstract class Family<C> {
  readonly aggregator = 'sum';
  private readonly cells = new Map<string, { labels: Labels; cell: C }>();

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    readonly type: MetricObject['type'],
  ) {
    // prom-client's registry takes any object with this shape; its type names its own classes.
    registry.registerMetric(this as never);
  }

  /**
   * The cell of one label set, created at 0 on first bind (so a counter a dashboard queries has a
   * series before its first event). Bind off the call path and keep the cell.
   */
  bind(labels: Labels): C {
    const key = JSON.stringify(labels);
    let entry = this.cells.get(key);
    if (entry === undefined) {
      entry = { labels: { ...labels }, cell: this.create() };
      this.cells.set(key, entry);
    }
    return entry.cell;
  }

  /** Drops the series of one label set (a departed service); a held cell then counts unseen. */
  unbind(labels: Labels): void {
    this.cells.delete(JSON.stringify(labels));
  }

  /** Runs first when scraped: set gauges read from live state here. */
  collect: (() => void) | undefined = undefined;

  /** prom-client's scrape: every bound cell as samples. */
  get(): Promise<MetricObject> {
    this.collect?.();
    const values: MetricValue[] = [];
    for (const { labels, cell } of this.cells.values()) this.fold(labels, cell, values);
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    });
  }

  /** prom-client's `registry.resetMetrics()`: zero every series, keep the bindings. */
  reset(): void {
    for (const { cell } of this.cells.values()) this.zero(cell);
  }

  protected abstract create(): C;
  protected abstract zero(cell: C): void;
  protected abstract fold(labels: Labels, cell: C, into: MetricValue[]): void;
}

/** One counter or gauge series: add to `value` directly. */
export class Cell {
  value = 0;
}

/** A family of plain-number {@link Cell}s: what counters and gauges share. */
abstract class CellFamily extends Family<Cell> {
  protected create(): Cell {
    return new Cell();
  }
  protected zero(cell: Cell): void {
    cell.value = 0;
  }
  protected fold(labels: Labels, cell: Cell, into: MetricValue[]): void {
    into.push({ labels, value: cell.value });
  }
}

/** A counter family of {@link Cell}s. Counters only grow: callers add, never subtract. */
export class CounterFamily extends CellFamily {
  constructor(registry: Registry, name: string, help: string) {
    super(registry, name, help, 'counter');
  }
}

/** A gauge family of {@link Cell}s (in-flight counts: add and subtract). */
export class GaugeFamily extends CellFamily {
  constructor(registry: Registry, name: string, help: string) {
    super(registry, name, help, 'gauge');
  }
}

/**
 * One histogram series: per-bucket counts (not cumulative; the scrape sums them) in a typed
 * array, the sum and the count.
 */
export class HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: Float64Array) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records one observation, in the family's unit (seconds for durations). */
  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    // Linear: 14 default bounds, and most RPC latencies fall in the first few.
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** A histogram family of {@link HistogramCell}s with fixed bucket bounds. */
export class HistogramFamily extends Family<HistogramCell> {
  private readonly bounds: Float64Array;
  private readonly les: readonly string[];

  constructor(registry: Registry, name: string, help: string, buckets: readonly number[]) {
    super(registry, name, help, 'histogram');
    this.bounds = Float64Array.from(buckets);
    this.les = [...buckets.map(String), '+Inf'];
  }
  protected create(): HistogramCell {
    return new HistogramCell(this.bounds);
  }
  protected zero(cell: HistogramCell): void {
    cell.counts.fill(0);
    cell.sum = 0;
    cell.count = 0;
  }
  protected fold(labels: Labels, cell: HistogramCell, into: MetricValue[]): void {
    let cumulative = 0;
    for (let i = 0; i < this.les.length; i++) {
      cumulative += cell.counts[i]!;
      into.push({
        labels: { ...labels, le: this.les[i]! },
        value: cumulative,
        metricName: `${this.name}_bucket`,
      });
    }
    into.push({ labels, value: cell.sum, metricName: `${this.name}_sum` });
    into.push({ labels, value: cell.count, metricName: `${this.name}_count` });
  }
}
