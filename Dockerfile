# Untested here: the development machines have no Docker engine. Kept deliberately simple.
# Build: docker build -t intentgate .    Run: docker run -p 8080:8080 -e REDIS_URL=... -e CHAIN_RPC_URLS=... intentgate

ARG NODE_IMAGE=node:26-slim

# 1. Policies: the pinned OPA (scripts/ensure-opa holds the version) compiles Rego to Wasm.
FROM golang:1-bookworm AS policies
WORKDIR /src
COPY scripts/ensure-opa scripts/policies scripts/
COPY policies/ policies/
RUN bash scripts/ensure-opa && bash scripts/policies build

# 2. Code: compile TypeScript, then drop dev dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src/ src/
RUN npm run build && npm prune --omit=dev

# 3. Runtime: production dependencies, compiled code, policies and chain addresses; non-root.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules/ node_modules/
COPY --from=build /app/dist/ dist/
COPY --from=policies /src/policies/build/ policies/build/
COPY anvil-fixtures/addresses.json anvil-fixtures/addresses.json
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--max-semi-space-size=64", "dist/cli/main.js", "serve"]
