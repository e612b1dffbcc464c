# syntax=docker/dockerfile:1
# One image for every tickfeed process: the feed server (default command),
# the simulator, and `npm start`'s launcher. Multi-stage: the build stage
# compiles the whole monorepo (tsc -b and the dashboard's Vite build); the
# runtime stage holds only production dependencies and the built output,
# and runs as the unprivileged `node` user.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first, so the dependency layer is cached until a package.json changes.
COPY package.json package-lock.json ./
COPY protocol/package.json protocol/
COPY dev-tools/package.json dev-tools/
COPY client/package.json client/
COPY simulator/package.json simulator/
COPY feed-server/package.json feed-server/
COPY dashboard/package.json dashboard/
COPY launcher/package.json launcher/
COPY bench/package.json bench/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DASHBOARD_DIR=/app/dashboard/dist
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
# Workspace packages are symlinked from node_modules/@tickfeed: each needs its manifest and build.
COPY --from=build /app/protocol/package.json protocol/
COPY --from=build /app/protocol/dist protocol/dist
COPY --from=build /app/feed-server/package.json feed-server/
COPY --from=build /app/feed-server/dist feed-server/dist
COPY --from=build /app/simulator/package.json simulator/
COPY --from=build /app/simulator/dist simulator/dist
COPY --from=build /app/launcher/package.json launcher/
COPY --from=build /app/launcher/dist launcher/dist
COPY --from=build /app/dashboard/package.json dashboard/
COPY --from=build /app/dashboard/dist dashboard/dist
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "feed-server/dist/main.js"]
