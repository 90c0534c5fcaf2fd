# syntax=docker/dockerfile:1
# mcp-memory image: compile with dev dependencies, ship production dependencies only, run as a
# numeric non-root user (Kubernetes can only verify runAsNonRoot for a numeric USER).
# Read-only-root friendly: at run time the process writes only under /data (the volume; `./data`
# resolves there) and /tmp. test/deploy/* checks this file against the manifests.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies in their own stage, so the npm cache never reaches the final image.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="mcp-memory" \
      org.opencontainers.image.description="Durable, shared, observable memory service for MCP tools" \
      org.opencontainers.image.licenses="MIT"
# STORE_URL: the embedded default (pglite://./data/memory) made absolute, on the volume.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    STORE_URL=pglite:///data/memory
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations ./migrations
# /app stays root-owned (read-only for the app); ./data (relative defaults such as the backfill
# checkpoint) points at the volume.
RUN mkdir -p /data && chown 1000:1000 /data && ln -s /data /app/data
# 1000 is the `node` user of the base image.
USER 1000:1000
VOLUME ["/data"]
EXPOSE 3000
# Liveness only (/healthz): readiness (/readyz) depends on the backends and is the orchestrator's job.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["serve"]
