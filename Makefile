# netcheck: `make test` and `make demo` work on a fresh clone; they install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := build
.PHONY: deps debian-deps image-deps demo-deps build typecheck lint test test-unit golden demo bench generate release install soak footprint-floor clean image image-arm64 image-smoke image-smoke-arm64 image-index image-push-smoke release-manifest write-load

# The real peers the tests run against, as tool:Debian-package: Prometheus and promtool, Alertmanager
# and amtool, BIRD 1.6, node_exporter, jsonnet (the mixin), kubectl (kubernetes-client only where
# no kubectl is installed), and iproute2, ping, nftables, iptables and openssl for the network-namespace hosts.
DEBIAN_TOOLS := promtool:prometheus prometheus:prometheus amtool:prometheus-alertmanager prometheus-alertmanager:prometheus-alertmanager \
	bird:bird birdc:bird prometheus-node-exporter:prometheus-node-exporter kubectl:kubernetes-client zsh:zsh fish:fish jsonnet:jsonnet \
	ip:iproute2 ping:iputils-ping nft:nftables iptables:iptables openssl:openssl

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

# Installs the Debian packages of a list of tool:package pairs whose tool is not on PATH (as root;
# otherwise says what to install and fails).
define install-missing
	@missing=""; for pair in $(1); do command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	missing=$$(echo $$missing | tr ' ' '\n' | sort -u | tr '\n' ' '); \
	if [ -z "$${missing// /}" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian packages: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
	  echo "error: missing Debian packages: $$missing; run 'sudo apt-get install -y $$missing' (or make as root)" >&2; exit 1; \
	fi
endef

debian-deps:
	$(call install-missing,$(DEBIAN_TOOLS))

# make image assembles with apt-get, dpkg-deb, tar and gzip (all in a Debian base); make image-smoke
# checks and unpacks the archive with umoci and runs it with unshare in a network namespace (ip).
IMAGE_TOOLS := umoci:umoci unshare:util-linux ip:iproute2
image-deps:
	$(call install-missing,$(IMAGE_TOOLS))

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
soak: deps build image
	SOAK_NODE=image node bench/soak.mjs

# The RSS of the agent's stack (Node, TLS, Fastify, prom-client) with none of netcheck's code, on
# the image's Node under the soak's load, beside node_exporter (bench/footprint-floor.mjs).
footprint-floor: deps build image
	FLOOR_NODE=image node bench/footprint-floor.mjs

# The agent image for this machine's platform (IMAGE_ARCH=arm64 for the other one), assembled from
# Debian's packages and Node.js from the npm registry, both verified (tools/image/build.mjs): an OCI
# archive, its digest and its SBOM in dist/image/.
IMAGE_ARCH ?=
image: dist/plugin.mjs
	node tools/image/build.mjs $(if $(IMAGE_ARCH),--arch $(IMAGE_ARCH))

image-arm64: dist/plugin.mjs
	node tools/image/build.mjs --arch arm64

# Unpacks this platform's image and runs it in fresh namespaces (root; no container runtime):
# --version, then the agent on a fixture host serving /metrics (tools/image/smoke.mjs). Its own
# step in .ci/run, not part of make test: on a clean machine building the image first downloads
# Debian's lists and packages and Node (1-5 minutes); the smoke itself takes 5-20 s.
image-smoke: image image-deps
	node tools/image/smoke.mjs

# The linux/arm64 image, run the same way under Debian's qemu-user-static (no arm64 machine here).
image-smoke-arm64: image-arm64 image-deps
	$(call install-missing,qemu-aarch64-static:qemu-user-static)
	node tools/image/smoke.mjs --arch arm64

# Both platforms in one archive under one index digest (tools/image/index.mjs): what gets pushed.
image-index: image image-arm64
	node tools/image/index.mjs

# The release path against a real registry here (root): Debian's docker-registry on loopback in a
# fresh network namespace, skopeo copy --all --preserve-digests, the digests read back, a platform
# pulled by the index digest, the release manifest pinned to it (tools/image/push-smoke.mjs).
image-push-smoke: image-index image-deps
	$(call install-missing,docker-registry:docker-registry skopeo:skopeo)
	node tools/image/push-smoke.mjs

# deploy/ rendered into dist/release/netcheck-<version>.yaml with the agent pinned by digest:
#   make release-manifest IMAGE=registry.example.com/netcheck/netcheck-agent   (after make image-index
#   and pushing it; DIGEST=sha256:... for an image pushed from elsewhere)
# IMAGE and DIGEST reach the tool through the environment, never through the shell's words.
release-manifest: demo-deps
	node tools/release-manifest.mjs

# 100 agents whose hosts' conntrack counts move, against the simulated cluster: NodeReport writes
# per agent per heartbeat (bench/write-load.mjs; about 3 minutes; the table goes into docs/benchmarks.md).
write-load: deps build
	node bench/write-load.mjs

# Rule file, PrometheusRule, AlertmanagerConfig, alertmanager.yml, the jsonnet mixin, dashboards and their
# ConfigMap, from alerts/mixin.ts, the checks and dashboards/.
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
