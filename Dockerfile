# The agent image: the bundled exporter on a small Node.js base. Build with `make build` first.
FROM node:20-alpine
WORKDIR /app
COPY dist/ ./dist/
COPY bin/netcheck-exporter ./bin/netcheck-exporter
USER 0
ENTRYPOINT ["node", "/app/dist/exporter.mjs"]
