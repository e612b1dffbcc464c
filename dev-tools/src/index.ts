export { freePort } from './free-port.js';
export { eachLine, exited, feedServerUrl, hasExited, spawnReady, stopProcess } from './child-process.js';
export type { ExitStatus, SpawnReadyOptions, SpawnedChild } from './child-process.js';
export { startRedisServer } from './redis-server.js';
export type { RedisServer, RedisServerOptions } from './redis-server.js';
