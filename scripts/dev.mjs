#!/usr/bin/env node
// `npm run dev`: the embedded feed server (server + simulator) and the Vite dev
// server with hot reload, which proxies /api and /socket.io to it. The feed
// server allows the Vite origin, which the browser sends through the proxy.
import { spawn } from 'node:child_process';

const args = process.argv.slice(2);
const port = process.env.PORT ?? '3000';
const viteOrigins = 'http://127.0.0.1:5173,http://localhost:5173';
const children = [
  spawn(process.execPath, ['launcher/dist/main.js', ...args], {
    stdio: 'inherit',
    env: { ...process.env, PORT: port, CORS_ORIGINS: [process.env.CORS_ORIGINS, viteOrigins].filter(Boolean).join(',') },
  }),
  spawn('npm', ['run', 'dev', '-w', '@tickfeed/dashboard'], {
    stdio: 'inherit',
    env: { ...process.env, FEED_URL: `http://127.0.0.1:${port}` },
  }),
];
let stopping = false;
const stop = (code) => {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  process.exitCode = code;
};
for (const child of children) child.on('exit', (code) => stop(code ?? 0));
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
