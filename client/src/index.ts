// The browser entry as well as Node's: the tail command's argument parser (node:util) stays out of it.
export * from './access-token.js';
export * from './backoff.js';
export * from './book-follower.js';
export * from './connection-state.js';
export * from './sequence-tracker.js';
export * from './emitter.js';
export * from './feed-client.js';
export * from './rest-client.js';
