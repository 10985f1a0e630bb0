# The agent image: the bundled exporter on Node.js 22 (LTS until April 2027; Node 20 left support
# in April 2026). Build with `make build` first.
#
# The digest is node:22-alpine as pinned in public Dockerfiles at the time of writing; this
# workplace cannot reach a container registry, so it was not pulled here. Before a release, check
# it (docker buildx imagetools inspect node:22-alpine) and update it with the tag.
FROM node:22-alpine@sha256:8094c002d08262dba12645a3b4a15cd6cd627d30bc782f53229a2ec13ee22a00
WORKDIR /app
# The bundles, notices and SBOM; .dockerignore leaves out the simulator and the executables.
COPY dist/ ./dist/
COPY LICENSE ./
# The DaemonSet runs it as this user too (deploy/base/daemonset.yaml): no root in the image.
USER 65532:65532
# Measured (docs/benchmarks.md, soak on Node 22 with 50 scrapers for 10 minutes): a 1 MiB young
# generation, a 64 MiB old generation (inputs are bounded well below it) and no optimizing compiler
# (the agent's hot path is small) keep RSS at 75-79 MiB, where Node 22's defaults reach 86 MiB.
ENTRYPOINT ["node", "--max-semi-space-size=1", "--max-old-space-size=64", "--no-opt", "/app/dist/exporter.mjs"]
