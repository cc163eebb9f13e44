/**
 * The chaos suite: `npm run chaos` (full drills, ~20 s each) or `npm run chaos -- --short`.
 * `--only "SIGSTOP/SIGCONT a server,a client that never reads"` picks drills (names separated by a
 * comma with no space); `--rate N` sets the
 * caller's calls/s (default 2 000 full, 1 000 short). Prints one markdown
 * row per drill as it finishes, then the whole table and each drill's notes; exits 1 when a target
 * is missed (a failed call, a failed registry probe, or the attacked process over 256 MB).
 */
import { DRILLS, TABLE_HEADER, formatRow, runChaos } from './runner.js';

const args = process.argv.slice(2);
const short = args.includes('--short');
const onlyAt = args.indexOf('--only');
const rateAt = args.indexOf('--rate');
const rate = rateAt >= 0 ? Number(args[rateAt + 1]) : undefined;
// Names are separated by a comma with no space after it: "kill -9 the registry, restart after 5 s"
// is one name.
const only =
  onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(/,(?! )/).map((s) => s.trim()) : Object.keys(DRILLS);

console.log(`chaos: ${only.length} drills, ${short ? 'short' : 'full'} run`);
console.log(TABLE_HEADER);
const rows = await runChaos({
  short,
  only,
  ...(rate === undefined ? {} : { rate }),
  log: (line) => console.log(line),
});
console.log('\n' + TABLE_HEADER);
for (const r of rows) console.log(formatRow(r));
for (const r of rows) for (const note of r.notes) console.log(`- ${r.drill}: ${note}`);
const missed = rows.filter(
  (r) => r.failed > 0 || (r.peakRssMb ?? 0) >= 256 || (r.registry?.during.failed ?? 0) > 0,
);
for (const r of missed) console.log(`MISSED ${r.drill}: ${r.firstErrors.join('; ')}`);
process.exit(missed.length === 0 ? 0 : 1);
