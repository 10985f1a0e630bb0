# The agent image: the bundled exporter on a small Node.js base. Build with `make build` first.
FROM node:20-alpine
WORKDIR /app
COPY dist/ ./dist/
COPY bin/netcheck-exporter ./bin/netcheck-exporter
USER 0
# A 1 MiB young generation keeps RSS under 70 MB under scrape load (docs/benchmarks.md).
ENTRYPOINT ["node", "--max-semi-space-size=1", "/app/dist/exporter.mjs"]
