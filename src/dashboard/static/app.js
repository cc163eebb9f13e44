// The Proxima dashboard: one event stream on /ui/events (feed.js), state in plain maps, the DOM
// rebuilt (at most once per animation frame) from that state. No framework, no polling.

import { openFeed } from './feed.js';

import { History, renderChart } from './chart.js';

/** How long a removed instance stays on the page, fading, before it goes. */
const FADE_MS = 4_000;

/** service -> Map(id -> instance) */
const services = new Map();
/** `service/id` -> { ttlMs, remainingMs } */
let leases = {};
/** reporter -> traffic report */
let traffic = [];
let revision = 0;
let queued = false;
/** The traffic chart's points and its zones in first-seen order (stable colours). */
const history = new History();
const zoneOrder = [];
/** Changes since the server started, and when (page clock) the last one arrived. */
let changes = 0;
let lastChangeAt;
/** `service/id` -> { service, instance, until }: removed instances still fading out. */
const leaving = new Map();

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    // CSSOM, not a style attribute: the page's CSP (default-src 'self') refuses inline styles.
    else if (key === 'style') node.style.cssText = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const zoneOf = (l) => `${l.region || '?'}/${l.zone || '?'}${l.subzone ? `/${l.subzone}` : ''}`;
// An unknown zone is shown loudly: routing cannot prefer the instance (or the caller's calls) by zone.
const UNKNOWN_ZONE = 'zone unknown: same-zone routing is off for it (see docs/topology.md)';
const zoneUnknown = (name) => name.split('/')[1] === '?';
const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`;

function applySnapshot(snapshot) {
  services.clear();
  for (const [name, list] of Object.entries(snapshot.services)) {
    services.set(name, new Map(list.map((i) => [i.id, i])));
  }
  leases = snapshot.leases;
  traffic = snapshot.traffic;
  revision = snapshot.revision;
  history.reset(snapshot.history ?? []);
  changes = snapshot.changes ?? 0;
  lastChangeAt = snapshot.lastChangeAgoMs === undefined ? undefined : Date.now() - snapshot.lastChangeAgoMs;
  leaving.clear();
}

function applyChange({ events, leases: changed }) {
  changes += new Set(events.map((e) => e.revision)).size;
  lastChangeAt = Date.now();
  for (const e of events) {
    revision = Math.max(revision, e.revision);
    let map = services.get(e.service);
    if (e.type === 'reset') {
      services.set(e.service, new Map(e.instances.map((i) => [i.id, i])));
      continue;
    }
    if (e.type === 'upsert') {
      if (!map) services.set(e.service, (map = new Map()));
      map.set(e.instance.id, e.instance);
      leaving.delete(`${e.service}/${e.instance.id}`);
    } else if (e.type === 'delete' && map) {
      const gone = map.get(e.id);
      if (gone) fadeOut(e.service, gone);
      map.delete(e.id);
      delete leases[`${e.service}/${e.id}`];
      if (map.size === 0) services.delete(e.service);
    }
  }
  Object.assign(leases, changed);
}

/**
 * Keeps a removed instance on the page for FADE_MS, fading (its opacity follows the time left,
 * re-rendered a few times a second: the cards are rebuilt on each render, so a CSS animation would
 * restart), then drops it.
 */
function fadeOut(service, instance) {
  leaving.set(`${service}/${instance.id}`, { service, instance, until: Date.now() + FADE_MS });
  if (fading === undefined) fading = setInterval(fadeStep, 200);
}

let fading;
function fadeStep() {
  const now = Date.now();
  for (const [key, l] of leaving) if (l.until <= now) leaving.delete(key);
  if (leaving.size === 0) {
    clearInterval(fading);
    fading = undefined;
  }
  schedule();
}

function render() {
  queued = false;
  renderRevision();
  renderServices();
  renderTraffic();
  renderHistory();
}

function renderRevision() {
  const node = $('revision');
  node.title = revision ? `revision ${revision}` : '';
  if (!revision && changes === 0) {
    node.textContent = '';
    return;
  }
  const ago = lastChangeAt === undefined ? '' : `, last ${agoText(Date.now() - lastChangeAt)}`;
  node.textContent = `${changes} change${changes === 1 ? '' : 's'}${ago}`;
}

function agoText(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

function renderHistory() {
  $('history').hidden = history.points.length === 0;
  renderChart($('chart'), history, zoneOrder);
}

function schedule() {
  if (queued) return;
  queued = true;
  requestAnimationFrame(render);
}

function renderServices() {
  const root = $('services');
  const names = [...new Set([...services.keys(), ...[...leaving.values()].map((l) => l.service)])].sort();
  $('service-count').textContent = `${names.length} service${names.length === 1 ? '' : 's'}`;
  if (names.length === 0) {
    root.replaceChildren(el('p', { class: 'muted' }, 'no instances registered'));
    return;
  }
  root.replaceChildren(
    ...names.map((name) => {
      const live = [...(services.get(name)?.values() ?? [])];
      const gone = [...leaving.values()]
        .filter((l) => l.service === name)
        .map((l) => ({ ...l.instance, gone: Math.max(0, l.until - Date.now()) / FADE_MS }));
      return renderService(name, [...live, ...gone]);
    }),
  );
}

function renderService(name, instances) {
  const regions = new Map();
  for (const instance of instances) {
    const region = instance.locality.region || '?';
    const zone = zoneOf(instance.locality);
    if (!regions.has(region)) regions.set(region, new Map());
    const zones = regions.get(region);
    if (!zones.has(zone)) zones.set(zone, []);
    zones.get(zone).push(instance);
  }
  const up = instances.filter((i) => i.status === 'UP' && i.gone === undefined).length;
  const present = instances.filter((i) => i.gone === undefined).length;
  return el(
    'article',
    { class: 'service', 'data-service': name },
    el('h3', {}, name, el('span', { class: 'muted' }, ` ${up}/${present} up`)),
    el(
      'div',
      { class: 'regions' },
      [...regions.keys()].sort().map((region) =>
        el(
          'div',
          { class: 'region', 'data-region': region },
          el('h4', {}, region),
          el(
            'div',
            { class: 'zones' },
            [...regions.get(region).keys()]
              .sort()
              .map((zone) => renderZone(name, zone, regions.get(region).get(zone))),
          ),
        ),
      ),
    ),
  );
}

function renderZone(service, zone, instances) {
  instances.sort((a, b) => (a.id < b.id ? -1 : 1));
  const unknown = zoneUnknown(zone);
  return el(
    'div',
    { class: unknown ? 'zone unknown-zone' : 'zone', 'data-zone': zone },
    el(
      'h5',
      unknown ? { title: UNKNOWN_ZONE } : {},
      unknown ? 'zone unknown' : zone.split('/').slice(1).join('/') || zone,
      el('span', { class: 'muted' }, ` ${instances.length}`),
    ),
    instances.map((i) => renderInstance(service, i)),
  );
}

function renderInstance(service, instance) {
  const lease = leases[`${service}/${instance.id}`];
  const left = lease ? Math.max(0, Math.min(1, lease.remainingMs / lease.ttlMs)) : 0;
  const meta = Object.entries(instance.metadata);
  return el(
    'div',
    {
      class: `instance status-${instance.status}${instance.gone === undefined ? '' : ' gone'}`,
      'data-instance': instance.id,
      'data-status': instance.status,
      ...(instance.locality.zone ? {} : { 'data-zone-unknown': 'true' }),
      'data-gone': instance.gone !== undefined,
      style: instance.gone === undefined ? undefined : `opacity: ${(0.15 + 0.85 * instance.gone).toFixed(2)}`,
      title: instance.gone === undefined ? undefined : 'removed (lease expired or deregistered)',
    },
    el(
      'div',
      { class: 'row' },
      el('span', { class: 'id' }, instance.id),
      !instance.locality.zone && el('span', { class: 'badge unknown-zone', title: UNKNOWN_ZONE }, 'zone?'),
      el('span', { class: `badge ${instance.status}` }, instance.status),
    ),
    el(
      'div',
      { class: 'row small' },
      el('span', { class: 'muted' }, instance.address),
      el(
        'span',
        { class: 'weight', title: 'weight: its share of traffic within its zone' },
        `weight ${instance.weight}`,
      ),
    ),
    el(
      'div',
      {
        class: 'lease',
        title: lease ? `lease ${seconds(lease.remainingMs)} of ${seconds(lease.ttlMs)} left` : 'no lease',
      },
      el('div', { class: 'bar', style: `width:${(left * 100).toFixed(0)}%` }),
      el('span', { class: 'lease-text' }, lease ? seconds(lease.remainingMs) : '–'),
    ),
    meta.length > 0 &&
      el(
        'div',
        { class: 'meta' },
        meta.map(([k, v]) => el('span', { class: 'chip' }, `${k}=${v}`)),
      ),
  );
}

function renderTraffic() {
  const section = $('traffic');
  section.hidden = traffic.length === 0;
  if (traffic.length === 0) return;
  const first = traffic[0];
  $('traffic-head').textContent = `${first.service}${first.phase ? ` · phase: ${first.phase}` : ''}`;

  const total = (key) => traffic.reduce((sum, r) => sum + r[key], 0);
  const calls = total('callsPerSec');
  $('stats').replaceChildren(
    stat('calls/s', fmt(calls, 0), 'calls'),
    stat('p50', `${fmt(Math.max(...traffic.map((r) => r.p50Ms)), 2)} ms`, 'p50'),
    stat('p99', `${fmt(Math.max(...traffic.map((r) => r.p99Ms)), 2)} ms`, 'p99'),
    stat('errors/s', fmt(total('errorsPerSec'), 1), 'errors'),
  );

  const cells = new Map();
  const froms = new Set();
  const tos = new Set();
  for (const report of traffic) {
    for (const c of report.matrix) {
      froms.add(c.from);
      tos.add(c.to);
      cells.set(`${c.from}→${c.to}`, (cells.get(`${c.from}→${c.to}`) ?? 0) + c.callsPerSec);
    }
  }
  for (const list of services.values()) for (const i of list.values()) tos.add(zoneOf(i.locality));
  const columns = [...tos].sort();
  const max = Math.max(1, ...cells.values());
  $('matrix').replaceChildren(
    el(
      'tr',
      {},
      el('th', {}, 'from \\ to'),
      columns.map((c) => el('th', {}, c)),
    ),
    ...[...froms].sort().map((from) => {
      const rowTotal = columns.reduce((s, to) => s + (cells.get(`${from}→${to}`) ?? 0), 0) || 1;
      return el(
        'tr',
        { 'data-from': from },
        zoneUnknown(from)
          ? el('th', { class: 'unknown-zone', 'data-zone-unknown': 'true', title: UNKNOWN_ZONE }, `${from} ⚠`)
          : el('th', {}, from),
        columns.map((to) => {
          const rate = cells.get(`${from}→${to}`) ?? 0;
          const heat = Math.sqrt(rate / max);
          return el(
            'td',
            {
              'data-from': from,
              'data-to': to,
              'data-rate': rate.toFixed(1),
              class: from === to ? 'local' : '',
              style: `background: rgba(37, 99, 235, ${(heat * 0.85).toFixed(3)}); color: ${heat > 0.45 ? '#fff' : 'inherit'}`,
            },
            el('b', {}, fmt(rate, 0)),
            el('span', { class: 'pct' }, `${fmt((rate / rowTotal) * 100, 1)}%`),
          );
        }),
      );
    }),
  );

  const endpoints = traffic
    .flatMap((r) => r.endpoints)
    .sort((a, b) => (a.locality + a.id < b.locality + b.id ? -1 : 1));
  $('endpoints').replaceChildren(
    el(
      'tr',
      {},
      ['endpoint', 'zone', 'calls/s', 'latency', 'state'].map((h) => el('th', {}, h)),
    ),
    ...endpoints.map((e) =>
      el(
        'tr',
        {
          'data-endpoint': e.id,
          'data-ejected': e.ejected ? 'true' : 'false',
          class: e.ejected ? 'ejected' : e.available ? '' : 'unavailable',
        },
        el('td', {}, e.id),
        el('td', {}, e.locality),
        el('td', { class: 'num' }, fmt(e.callsPerSec, 0)),
        el('td', { class: 'num' }, e.ewmaMs === undefined ? '–' : `${fmt(e.ewmaMs, 2)} ms`),
        el('td', {}, endpointState(e)),
      ),
    ),
  );
}

function endpointState(e) {
  if (e.ejected)
    return el(
      'span',
      { class: 'badge DOWN', title: e.reason ?? '' },
      `ejected ${e.ejectedForMs ? seconds(e.ejectedForMs) : ''}`,
    );
  if (e.status !== 'UP') return el('span', { class: `badge ${e.status}` }, e.status);
  if (e.breaker === 'open' || e.breaker === 'half-open')
    return el('span', { class: 'badge DRAINING' }, `breaker ${e.breaker}`);
  if (!e.available) return el('span', { class: 'badge DRAINING' }, 'unavailable');
  return el('span', { class: 'badge UP' }, 'ok');
}

function stat(label, value, key) {
  return el(
    'div',
    { class: 'stat', 'data-stat': key },
    el('div', { class: 'value' }, value),
    el('div', { class: 'label' }, label),
  );
}

function connect() {
  const source = openFeed('/ui/events');
  const conn = $('conn');
  source.addEventListener('open', () => {
    conn.dataset.state = 'live';
    conn.textContent = 'live';
  });
  source.addEventListener('error', () => {
    conn.dataset.state = 'reconnecting';
    conn.textContent = 'reconnecting…';
  });
  source.addEventListener('snapshot', (m) => {
    applySnapshot(JSON.parse(m.data));
    conn.dataset.state = 'live';
    conn.textContent = 'live';
    schedule();
  });
  source.addEventListener('change', (m) => {
    applyChange(JSON.parse(m.data));
    schedule();
  });
  source.addEventListener('leases', (m) => {
    leases = JSON.parse(m.data);
    schedule();
  });
  source.addEventListener('traffic', (m) => {
    traffic = JSON.parse(m.data);
    schedule();
  });
  source.addEventListener('history', (m) => {
    history.put(JSON.parse(m.data));
    schedule();
  });
}

connect();
// "last 3 s ago" keeps counting between changes.
setInterval(renderRevision, 1_000);
