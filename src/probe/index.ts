export * from './rtt-source.js';
export * from './tcp-probe.js';
export * from './prober.js';
export * from './options.js';
