# The plank image squashctl runs in namespace squash-debugger (one pod per debugging session, on the
# target's node, hostPID, SYS_PTRACE only). Build from the repository root:
#   docker build -f deploy/plank.Dockerfile -t squash-plank:0.1.0 .
# then push it where your nodes pull from and pass `squashctl --plank-image <registry>/squash-plank:0.1.0`.
# Debian bookworm, the same packages the debuggers were verified with: delve (dlv attach), gdbserver,
# gdb (debugpy injects itself through it), python3-debugpy, and Node.js for the plank itself.
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends delve gdbserver gdb python3 python3-debugpy procps \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# The pod's args are `plank --container <id> …` (no ENTRYPOINT): `plank` must be on PATH.
RUN ln -s /app/dist/cli/plank/main.js /usr/local/bin/plank && chmod +x /app/dist/cli/plank/main.js
# Root inside the pod: ptrace of another container's process needs the same uid or CAP_SYS_PTRACE, and the
# pod spec drops every capability except SYS_PTRACE. /tmp is an emptyDir (the root filesystem is read-only).
USER 0
CMD ["plank", "--help"]
