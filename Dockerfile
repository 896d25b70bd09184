# syntax=docker/dockerfile:1
# echod container image. The Bun version is pinned here, in package.json and
# in CI; keep the three in step.
ARG BUN_VERSION=1.4.5

FROM oven/bun:${BUN_VERSION}-slim AS deps
WORKDIR /app
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile --production --ignore-scripts

FROM oven/bun:${BUN_VERSION}-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
USER bun
EXPOSE 7007 9464
STOPSIGNAL SIGTERM
ENTRYPOINT ["bun", "src/main.ts"]
