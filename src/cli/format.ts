import type { Instance } from '../core/instance.js';

/** Renders rows as left-aligned columns separated by two spaces (no trailing blanks). */
export function renderTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((r) => (r[col] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, col) => cell.padEnd(widths[col] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export const INSTANCE_COLUMNS = [
  'SERVICE',
  'ID',
  'ADDRESS',
  'PROTOCOL',
  'REGION',
  'ZONE',
  'SUBZONE',
  'WEIGHT',
  'STATUS',
] as const;

/** One table row per instance, in {@link INSTANCE_COLUMNS} order; unknown locality shows as `-`. */
export function instanceRow(instance: Instance): string[] {
  const { region, zone, subzone } = instance.locality;
  return [
    instance.service,
    instance.id,
    instance.address,
    instance.protocol,
    region || '-',
    zone || '-',
    subzone || '-',
    String(instance.weight),
    instance.status,
  ];
}

/** `k=v,k2=v2` for one-line displays. */
export function formatMetadata(metadata: Readonly<Record<string, string>>): string {
  return Object.entries(metadata)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
