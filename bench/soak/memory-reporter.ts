/**
 * Preloaded into every process of the soak (`node --expose-gc --import tsx --import
 * bench/soak/memory-reporter.ts …`): every `SOAK_SAMPLE_MS` (default 5 000) it runs a full GC
 * (when `--expose-gc` is on, so the heap read is what is live, not the garbage of the last few
 * seconds) and prints one line, `SOAK-MEM {"t":<epoch ms>,"heap":<bytes>,"rss":<bytes>}`, which
 * the soak runner reads from the process's stdout.
 */
const every = Number(process.env.SOAK_SAMPLE_MS ?? '5000');
const gc = (globalThis as { gc?: () => void }).gc;

setInterval(() => {
  gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  process.stdout.write(`SOAK-MEM ${JSON.stringify({ t: Date.now(), heap: heapUsed, rss })}\n`);
}, every).unref();
