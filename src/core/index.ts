export * from './errors.js';
export * from './clock.js';
export * from './random.js';
export * from './event.js';
export * from './duration.js';
export * from './locality.js';
export * from './instance.js';
export * from './validate.js';
