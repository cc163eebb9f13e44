// The traffic chart: calls/s answered by each destination zone (solid lines) and the worst p99
// (dashed, right axis) over the last five minutes, drawn as plain SVG from the points the
// registry keeps (one per second). No chart library: a few paths are all it takes.

const SPAN_MS = 5 * 60_000;
const W = 720;
const H = 170;
const PAD = { left: 44, right: 52, top: 10, bottom: 22 };
const COLORS = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#0891b2', '#dc2626', '#4b5563'];
const SVG = 'http://www.w3.org/2000/svg';

/** The last five minutes of points, one per second (`t` in ms), newest last. */
export class History {
  constructor() {
    this.points = [];
  }

  /** Replaces everything (a snapshot). */
  reset(points) {
    this.points = points.slice();
  }

  /** Adds or updates the point of one second. */
  put(point) {
    const last = this.points.at(-1);
    if (last && last.t === point.t) this.points[this.points.length - 1] = point;
    else if (!last || point.t > last.t) this.points.push(point);
    const oldest = point.t - SPAN_MS;
    while (this.points.length > 0 && this.points[0].t < oldest) this.points.shift();
  }
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const niceMax = (x) => {
  if (x <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(x));
  return Math.ceil(x / step) * step;
};

/**
 * Draws `history` into `root` (an element); `zoneOrder` keeps colours stable across redraws.
 * Each zone's path carries `data-series` and `data-last` (its newest calls/s) for tests and tools.
 */
export function renderChart(root, history, zoneOrder) {
  const points = history.points;
  root.dataset.points = String(points.length);
  root.dataset.lastT = points.length > 0 ? String(points.at(-1).t) : '';
  if (points.length === 0) {
    root.replaceChildren();
    return;
  }
  for (const p of points) for (const z of Object.keys(p.zones)) if (!zoneOrder.includes(z)) zoneOrder.push(z);
  const end = points.at(-1).t;
  const start = end - SPAN_MS;
  const x = (t) => PAD.left + ((t - start) / SPAN_MS) * (W - PAD.left - PAD.right);
  const rateMax = niceMax(
    Math.max(...points.map((p) => Object.values(p.zones).reduce((a, b) => Math.max(a, b), 0))),
  );
  const p99Max = niceMax(Math.max(...points.map((p) => p.p99Ms)));
  const yRate = (v) => H - PAD.bottom - (v / rateMax) * (H - PAD.top - PAD.bottom);
  const yP99 = (v) => H - PAD.bottom - (v / p99Max) * (H - PAD.top - PAD.bottom);
  const line = (values, y) =>
    values.map(([t, v], i) => `${i === 0 ? 'M' : 'L'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join('');

  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img' });
  chart.append(svg('title', {}, 'calls/s by destination zone and p99, last 5 minutes'));
  for (const f of [0, 0.5, 1]) {
    const y = yRate(rateMax * f);
    chart.append(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: 'grid' }));
    chart.append(
      svg(
        'text',
        { x: PAD.left - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' },
        (rateMax * f).toFixed(0),
      ),
    );
    chart.append(
      svg(
        'text',
        { x: W - PAD.right + 6, y: y + 4, class: 'axis p99' },
        `${(p99Max * f).toFixed(p99Max < 10 ? 1 : 0)} ms`,
      ),
    );
  }
  for (const minutes of [5, 4, 3, 2, 1, 0]) {
    const t = end - minutes * 60_000;
    chart.append(
      svg(
        'text',
        { x: x(t), y: H - 6, class: 'axis', 'text-anchor': 'middle' },
        minutes === 0 ? 'now' : `-${minutes}m`,
      ),
    );
  }
  const legend = [];
  zoneOrder.forEach((zone, i) => {
    const color = COLORS[i % COLORS.length];
    const values = points.map((p) => [p.t, p.zones[zone] ?? 0]);
    const last = values.at(-1)[1];
    chart.append(
      svg('path', {
        d: line(values, yRate),
        class: 'zone-line',
        stroke: color,
        'data-series': zone,
        'data-last': last.toFixed(1),
      }),
    );
    legend.push([zone, color, `${last.toFixed(0)}/s`]);
  });
  chart.append(
    svg('path', {
      d: line(
        points.map((p) => [p.t, p.p99Ms]),
        yP99,
      ),
      class: 'p99-line',
      'data-last': points.at(-1).p99Ms.toFixed(2),
    }),
  );
  legend.push(['p99', '#6b7280', `${points.at(-1).p99Ms.toFixed(1)} ms`]);

  const key = document.createElement('div');
  key.className = 'chart-legend';
  for (const [name, color, value] of legend) {
    const item = document.createElement('span');
    item.className = name === 'p99' ? 'key p99' : 'key';
    item.style.setProperty('--key', color);
    item.textContent = `${name} ${value}`;
    key.append(item);
  }
  root.replaceChildren(chart, key);
}
