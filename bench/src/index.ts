/** The bench's reusable parts: the raw Socket.IO client, histograms, the ladder and the verdict. */
export * from './eio-codec.js';
export * from './raw-client.js';
export * from './histogram.js';
export * from './delivery-audit.js';
export * from './ladder.js';
export * from './verdict.js';
export * from './schedule.js';
export * from './tick-factory.js';
