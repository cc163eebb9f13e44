export * from './discoverer.js';
export * from './snapshot.js';
export * from './self-preservation.js';
