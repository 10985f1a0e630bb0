# netcheck: `make test` and `make demo` work on a fresh clone; they install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := build
.PHONY: deps debian-deps demo-deps build typecheck lint test test-unit golden demo bench generate release install soak clean

# The real peers the tests run against, as tool:Debian-package: Prometheus and promtool, amtool,
# BIRD 1.6, node_exporter, and kubectl (kubernetes-client only where no kubectl is installed).
DEBIAN_TOOLS := promtool:prometheus prometheus:prometheus amtool:prometheus-alertmanager bird:bird birdc:bird \
	prometheus-node-exporter:prometheus-node-exporter kubectl:kubernetes-client zsh:zsh fish:fish \
	ip:iproute2 ping:iputils-ping nft:nftables iptables:iptables openssl:openssl

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

debian-deps:
	@missing=""; for pair in $(DEBIAN_TOOLS); do command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	missing=$$(echo $$missing | tr ' ' '\n' | sort -u | tr '\n' ' '); \
	if [ -z "$${missing// /}" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian packages: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
	  echo "error: missing Debian packages: $$missing; run 'sudo apt-get install -y $$missing' (or make as root)" >&2; exit 1; \
	fi

# The demo needs only kubectl (to run the plugin as users do): nothing else is installed for it.
demo-deps:
	@command -v kubectl >/dev/null 2>&1 && exit 0; \
	if [ "$$(id -u)" = 0 ]; then echo "installing kubectl (Debian's kubernetes-client)"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null; \
	else echo "error: kubectl is not installed; run 'sudo apt-get install -y kubernetes-client' or install kubectl" >&2; exit 1; fi

dist/plugin.mjs: deps $(shell find src plugin exporter test/sim -name '*.ts' 2>/dev/null) build.mjs package.json
	node build.mjs

# This platform's self-contained plugin executable (Bun --compile; tools/compile.mjs).
dist/bin/kubectl-netcheck: dist/plugin.mjs
	node tools/compile.mjs

build: dist/plugin.mjs dist/bin/kubectl-netcheck

typecheck: deps
	npx tsc -p tsconfig.json

# Biome: formatting and lint in one fast pass (npm run format fixes what it can).
lint: deps
	npx biome check .

# Every suite on the Node build, then the plugin's end-to-end suites again through kubectl on the
# compiled executable (dist/bin/kubectl-netcheck).
PLUGIN_E2E := test/e2e/plugin.test.ts test/e2e/errors.test.ts test/e2e/reports.test.ts test/e2e/golden.test.ts test/e2e/scenarios.test.ts test/e2e/cilium.test.ts test/e2e/connection.test.ts test/e2e/completion.test.ts

test: deps debian-deps build typecheck lint
	@if [ "$$(id -u)" = 0 ]; then npx jest --ci; else \
	  echo "not root: leaving out test/netns (agents on real network namespaces need root); everything else runs"; \
	  npx jest --ci --selectProjects unit e2e; fi
	NETCHECK_PLUGIN=exe npx jest --ci $(PLUGIN_E2E)

# The fast loop: engine, checks and parsers on TypeScript, no build needed.
test-unit: deps
	npx jest --selectProjects unit

# Rewrites the golden outputs (test/golden/) from what the plugin and agent print now: review the diff.
golden: deps build
	UPDATE_GOLDEN=1 npx jest test/e2e/golden.test.ts test/e2e/scenarios.test.ts

demo: deps demo-deps build
	./test/demo.sh

bench: deps debian-deps build
	node bench/run.mjs

# The agent for SOAK_SECONDS (600) on a node with 250 interfaces and 250 pods, scraped by 50
# connections the whole time; writes its table into docs/benchmarks.md.
soak: deps build
	node bench/soak.mjs

# Rule file, PrometheusRule, dashboards and their ConfigMap, from alerts/rules.ts and dashboards/.
generate: deps
	npx esbuild tools/generate.ts --bundle --platform=node --format=cjs --log-level=warning --outfile=.tmp/generate.cjs
	node .tmp/generate.cjs

# One archive per platform (linux and darwin, amd64 and arm64) in dist/release/, and the krew
# manifest plugin/netcheck.yaml generated from their sha256.
release: build
	node tools/compile.mjs --release
	node tools/krew.mjs

# Puts the executable on PATH: make install [PREFIX=/usr/local]
PREFIX ?= /usr/local
install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 dist/bin/kubectl-netcheck $(DESTDIR)$(PREFIX)/bin/kubectl-netcheck
	install -m 0755 bin/kubectl_complete-netcheck $(DESTDIR)$(PREFIX)/bin/kubectl_complete-netcheck

clean:
	rm -rf dist coverage .tmp
