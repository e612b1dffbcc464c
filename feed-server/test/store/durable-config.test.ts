import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ConfigError, DEFAULT_DATA_DIR, parseServerConfig, testServerConfig } from '../../src/config.js';

describe('durable store configuration', () => {
  it('[D37] DATA_DIR defaults to ./data of the working directory only where the entry point asks; empty or --ephemeral is in memory', () => {
    expect(parseServerConfig({ env: {} }).config.dataDir).toBeUndefined();
    expect(testServerConfig().dataDir).toBeUndefined();
    expect(parseServerConfig({ env: {}, defaultDataDir: DEFAULT_DATA_DIR }).config.dataDir).toBe(resolve(process.cwd(), 'data'));
    expect(parseServerConfig({ env: { DATA_DIR: '' }, defaultDataDir: DEFAULT_DATA_DIR }).config.dataDir).toBeUndefined();
    const ephemeral = parseServerConfig({ env: {}, argv: ['--ephemeral', '--port', '4000'], defaultDataDir: DEFAULT_DATA_DIR });
    expect(ephemeral.config.dataDir).toBeUndefined();
    expect(ephemeral.unknownArgs).toEqual([]);
    expect(parseServerConfig({ env: { DATA_DIR: '/srv/ticks' } }).config.dataDir).toBe('/srv/ticks');
    expect(parseServerConfig({ env: { DATA_DIR: 'x' }, argv: ['--data-dir', 'rel'] }).config.dataDir).toBe(resolve(process.cwd(), 'rel'));
    // With Redis the shared store holds the history: no default directory, and an explicit one is refused.
    expect(parseServerConfig({ env: { REDIS_URL: 'redis://127.0.0.1:6379' }, defaultDataDir: DEFAULT_DATA_DIR }).config.dataDir).toBeUndefined();
    expect(() => parseServerConfig({ env: { REDIS_URL: 'redis://127.0.0.1:6379', DATA_DIR: 'd' } })).toThrow(ConfigError);
    expect(() => parseServerConfig({ env: { DATA_DIR: 'd' }, argv: ['--ephemeral'] })).toThrow(/--ephemeral and DATA_DIR/);
  });

  it('[D37] retention, group commit, checkpoint and free-disk settings parse with bounds', () => {
    const config = parseServerConfig({
      env: { RETENTION_DAYS: '3', CANDLE_RETENTION_DAYS: '30', GROUP_COMMIT: 'write', CHECKPOINT_INTERVAL_MS: '5000', CHECKPOINT_TICKS: '20000', MIN_FREE_DISK_MB: '0' },
    }).config;
    expect(config).toMatchObject({ retentionDays: 3, candleRetentionDays: 30, groupCommit: 'write', checkpointIntervalMs: 5_000, checkpointTicks: 20_000, minFreeDiskMb: 0 });
    expect(() => parseServerConfig({ env: { GROUP_COMMIT: 'never' } })).toThrow(/GROUP_COMMIT must be one of fsync, write/);
    expect(() => parseServerConfig({ env: { RETENTION_DAYS: '0' } })).toThrow(/RETENTION_DAYS must be an integer from 1/);
  });

  it('[D39] docker-compose and npm run cluster run Redis with an append-only file fsynced every second', () => {
    const root = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
    const compose = parse(readFileSync(root('docker-compose.yml'), 'utf8')) as { services: { redis: { command: string[]; volumes: string[] } } };
    const command = compose.services.redis.command.join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--appendfsync everysec');
    expect(compose.services.redis.volumes).toEqual(['redis-data:/data']);
    // npm run cluster: its redis-server keeps an append-only file in --data-dir (checked live in [C19] [D39]).
  });
});
