export * from './frame.js';
export * from './metadata.js';
export * from './codec.js';
export * from './decoder.js';
export * from './writer.js';
