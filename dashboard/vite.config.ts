import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

/**
 * `npm run dev`: Vite on http://127.0.0.1:5173 with /api, /socket.io (WebSocket),
 * /metrics and /healthz proxied to the feed server at FEED_URL
 * (default http://127.0.0.1:3000). `vite build` writes dashboard/dist, which the
 * feed server serves at `/`; `vite build --mode test` writes dashboard/dist-test, the
 * same page with the debug hook (window.__tickfeed) that the browser tests and the
 * frame benchmark read. `npm run build` writes both.
 */
const feedUrl = process.env.FEED_URL ?? 'http://127.0.0.1:3000';

export default defineConfig(({ mode }) => ({
  plugins: [solid()],
  build: {
    outDir: mode === 'test' ? 'dist-test' : 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Source maps stay out of production builds; DASHBOARD_SOURCEMAP=1 asks for them (served like any asset).
    sourcemap: process.env.DASHBOARD_SOURCEMAP === '1',
    // The chart library is loaded on demand; keep its chunk apart from the first-paint bundle.
    chunkSizeWarningLimit: 600,
    rollupOptions: {
      // The protocol's modules only declare things; let the bundler drop what the page does not use
      // (its runtime schemas pull in TypeBox, which only servers need).
      treeshake: { moduleSideEffects: (id) => !/[\\/](protocol[\\/]dist|@sinclair[\\/]typebox)[\\/]/.test(id) },
    },
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: {
      '/api': { target: feedUrl, changeOrigin: true },
      '/socket.io': { target: feedUrl, ws: true, changeOrigin: true },
      '/metrics': { target: feedUrl, changeOrigin: true },
      '/healthz': { target: feedUrl, changeOrigin: true },
    },
  },
  preview: { host: '127.0.0.1' },
}));
