export * from './rpc-connection.js';
export type { KeepAliveOptions } from './keepalive.js';
