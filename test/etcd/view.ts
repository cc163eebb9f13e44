import type { Instance } from '../../src/core/instance.js';
import type { WatchEvent } from '../../src/registry/registry.js';

/** What a discoverer would hold after applying `events` in order: id → instance. */
export function viewOf(events: readonly WatchEvent[]): Map<string, Instance> {
  const view = new Map<string, Instance>();
  for (const event of events) {
    if (event.type === 'reset') {
      view.clear();
      for (const instance of event.instances) view.set(instance.id, instance);
    } else if (event.type === 'upsert') {
      view.set(event.instance.id, event.instance);
    } else {
      view.delete(event.id);
    }
  }
  return view;
}

/** Sorted ids of a view or a listing. */
export function idsOf(instances: Iterable<Instance>): string[] {
  return [...instances].map((i) => i.id).sort();
}

/** `revision/type/id` of every non-reset event, to find any event delivered twice. */
export function eventKeys(events: readonly WatchEvent[]): string[] {
  return events.flatMap((e) =>
    e.type === 'reset' ? [] : [`${e.revision}/${e.type}/${e.type === 'upsert' ? e.instance.id : e.id}`],
  );
}
