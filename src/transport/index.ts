export type * from './transport.js';
