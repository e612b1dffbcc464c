import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SERVER_ENV_VARS, loadServerConfig } from '../../src/config.js';

const root = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const text = (path: string) => readFileSync(root(path), 'utf8');

interface Service {
  build?: unknown;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  depends_on?: Record<string, unknown> | string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  networks?: { default?: { ipv4_address?: string } };
}

const compose = parse(text('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const feeds = Object.entries(services).filter(([, s]) => s.command?.includes('feed-server/dist/main.js'));
const nginx = text('deploy/nginx.conf');

describe('deployment files', () => {
  it('[C16] docker-compose runs Redis, two feed-server instances, a load balancer and the simulator', () => {
    expect(Object.keys(services).sort()).toEqual(['feed-1', 'feed-2', 'lb', 'redis', 'simulator']);
    expect(feeds.map(([name]) => name)).toEqual(['feed-1', 'feed-2']);
    expect(services.redis!.image).toMatch(/^redis:7/);
    expect(services.lb!.image).toMatch(/^nginx:/);
    expect(services.lb!.volumes).toContain('./deploy/nginx.conf:/etc/nginx/nginx.conf:ro');
    expect(services.simulator!.command?.slice(0, 2)).toEqual(['node', 'simulator/dist/main.js']);
  });

  it('[C16] every instance variable is one the config module reads, and the values parse', () => {
    const ids = new Set<string>();
    for (const [name, service] of feeds) {
      const env = service.environment ?? {};
      for (const variable of Object.keys(env)) expect(SERVER_ENV_VARS, `${name}: ${variable}`).toContain(variable);
      // Compose substitutes ${VAR:-default}; resolve the defaults the way it would.
      const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]));
      const config = loadServerConfig({ env: resolved });
      expect(config.host).toBe('0.0.0.0');
      expect(config.redisUrl).toBe('redis://redis:6379');
      expect(config.trustProxy).toEqual({ kind: 'addresses', addresses: [services.lb!.networks!.default!.ipv4_address] });
      expect(config.ingestToken).toBeDefined();
      ids.add(config.serverId);
      // The load balancer sends to this service on its PORT; the container exposes it.
      expect(nginx).toContain(`server ${name}:${config.port} `);
      expect(service.expose).toContain(String(config.port));
      expect(service.depends_on).toMatchObject({ redis: { condition: 'service_healthy' } });
      expect(service.healthcheck?.test.join(' ')).toContain(`:${config.port}/readyz`);
    }
    expect(ids.size).toBe(2);
  });

  it('[C16] ports: only the load balancer is published; Redis listens on the port REDIS_URL names; the simulator publishes through the balancer', () => {
    expect(services.lb!.ports).toEqual(['8080:80']);
    expect(nginx).toMatch(/listen 80;/);
    for (const [name, service] of Object.entries(services)) if (name !== 'lb') expect(service.ports, name).toBeUndefined();
    expect(services.redis!.expose).toEqual(['6379']);
    const command = services.simulator!.command!;
    expect(command[command.indexOf('--url') + 1]).toBe('http://lb:80');
    expect(command[command.indexOf('--token') + 1]).toBe(feeds[0]![1].environment!.INGEST_TOKEN);
  });

  it('[C17] the load balancer is WebSocket-aware and sticky, and SSE goes through unbuffered', () => {
    expect(nginx).toMatch(/upstream tickfeed \{\s*ip_hash;/);
    expect(nginx).toMatch(/location \/socket\.io\/ \{[^}]*proxy_set_header Upgrade \$http_upgrade;[^}]*proxy_set_header Connection \$connection_upgrade;/);
    expect(nginx).toMatch(/proxy_http_version 1\.1;/);
    expect(nginx).toMatch(/location = \/api\/stream \{[^}]*proxy_buffering off;/);
  });

  it('[C18] the image is multi-stage, runs as a non-root user, and runs the feed server by default', () => {
    const dockerfile = text('Dockerfile');
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).toContain('CMD ["node", "feed-server/dist/main.js"]');
    expect(text('Dockerfile.dockerignore')).toMatch(/\*\*\/node_modules/);
  });
});
