export * from './context.js';
export * from './implement.js';
export * from './server.js';
export * from './shutdown-signals.js';
export type { ServedMethod, ServedMethodObserver, ServerObserver } from './observer.js';
