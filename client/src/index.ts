export * from './access-token.js';
export * from './backoff.js';
export * from './connection-state.js';
export * from './sequence-tracker.js';
export * from './emitter.js';
export * from './feed-client.js';
export * from './rest-client.js';
export * from './tail-args.js';
