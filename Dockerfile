# syntax=docker/dockerfile:1
# echod container image.
#
#   docker build -t echod:0.1.0 .
#   docker run --rm -p 7007:7007 -p 9464:9464 echod:0.1.0
#
# The Bun version is pinned here, in package.json (`bun` devDependency,
# `packageManager`, `engines`) and so in CI; keep them in step
# (test/deploy/dockerfile.test.ts fails when they differ). Configure echod with
# ECHOD_* environment variables or with flags after the image name.

ARG BUN_VERSION=1.4.5

# Stage 1: production dependencies only, exactly as bun.lock pins them.
FROM oven/bun:${BUN_VERSION}-slim AS deps
WORKDIR /app
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile --production --ignore-scripts

# Stage 2: the runtime image: Bun, the TypeScript sources (Bun runs them
# directly) and the production node_modules. No compiler, no dev tools.
FROM oven/bun:${BUN_VERSION}-slim
LABEL org.opencontainers.image.title="echod" \
      org.opencontainers.image.description="A Bun-native, high-throughput TCP echo daemon with Prometheus metrics" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="docker.io/oven/bun:1.4.5-slim"
WORKDIR /app
# BUN_RUNTIME_TRANSPILER_CACHE_PATH=0: no transpiler cache on disk, so the
# container also runs with a read-only root filesystem (Kubernetes manifest).
ENV NODE_ENV=production \
    BUN_RUNTIME_TRANSPILER_CACHE_PATH=0
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
# The load harness too (it imports src/ and production dependencies only), so
# the same image runs deploy/kubernetes/bench-job.yaml: bun bench/harness/cli.ts.
COPY bench/harness ./bench/harness
# The official Bun images ship a `bun` user with uid 1000.
USER bun
# Echo port and admin (metrics, /livez, /readyz) port: the defaults in src/config.ts.
EXPOSE 7007 9464
# echod drains its connections on SIGTERM and exits 0 (it handles the signal as PID 1).
STOPSIGNAL SIGTERM
# No curl in the Bun images: echod asks its own /livez (exit 0 live, 1 not).
# It reads the same ECHOD_METRICS_PORT as the daemon, so a moved port still works.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["bun", "src/main.ts", "healthcheck"]
ENTRYPOINT ["bun", "src/main.ts"]
CMD []
