export * from './bind.js';
export * from './interceptor.js';
