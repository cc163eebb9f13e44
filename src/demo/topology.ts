import { lazySchema } from '../core/zod.js';

/** Where one demo instance runs. */
export interface DemoPlace {
  readonly region: string;
  readonly zone: string;
}

/** One instance of the demo fleet. */
export interface DemoInstanceSpec extends DemoPlace {
  /** Instance id, e.g. `eu-west-a-1`. */
  readonly id: string;
}

/** The demo service's name in the registry. */
export const DEMO_SERVICE = 'echo';

/** Zones of the demo: two in `eu-west`, one in `us-east`. */
export const DEMO_ZONES: readonly DemoPlace[] = [
  { region: 'eu-west', zone: 'a' },
  { region: 'eu-west', zone: 'b' },
  { region: 'us-east', zone: 'c' },
];

/** The caller of the demo sits in the first zone. */
export const DEMO_CALLER: DemoPlace = { region: 'eu-west', zone: 'a' };

/** `region/zone`, the label the routing table and the dashboard use. */
export function placeLabel(place: DemoPlace): string {
  return `${place.region}/${place.zone}`;
}

/** The fleet: `perZone` instances in each zone, ids `region-zone-n`. */
export function demoFleet(perZone = 3, zones: readonly DemoPlace[] = DEMO_ZONES): DemoInstanceSpec[] {
  return zones.flatMap((place) =>
    Array.from({ length: perZone }, (_, i) => ({ ...place, id: `${place.region}-${place.zone}-${i + 1}` })),
  );
}

/**
 * Simulated network distance, one way round trip in ms: same zone 0.2, same region 2, another
 * region 30. The demo servers wait this long before answering, by the caller's locality.
 */
export function distanceMs(from: DemoPlace, to: DemoPlace): number {
  if (from.region !== to.region) return 30;
  return from.zone === to.zone ? 0.2 : 2;
}

/** Parses `region/zone`. */
export const placeSchema = lazySchema((z) =>
  z
    .string()
    .regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9-]+$/, 'expected REGION/ZONE, e.g. eu-west/a')
    .transform((s): DemoPlace => {
      const [region = '', zone = ''] = s.split('/');
      return { region, zone };
    }),
);
