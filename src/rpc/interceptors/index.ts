export * from './auth.js';
export * from './logging.js';
export * from './rate-limit.js';
