#!/usr/bin/env bash
# make demo: the simulated cluster of seeds 000/001 and a netcheck agent on n02, then the two
# commands a user runs. Leaves the agent's /metrics up until Ctrl-C (DEMO_ONCE=1 exits at once).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
export KUBECONFIG="$work/kubeconfig" PATH="$PWD/bin:$PATH"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM

node dist/sim.mjs --fixtures test/fixtures/clusters/flannel-incidents.yaml,test/fixtures/clusters/demo-agent.yaml \
  --kubeconfig-out "$KUBECONFIG" > "$work/sim.log" 2>&1 &
pids+=($!)
node dist/exporter.mjs --node-name n02 --host-root test/fixtures/hosts/nic-down --address 127.0.0.1 --port 9742 \
  --interval 10s --kubeconfig "$KUBECONFIG" > "$work/agent.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf http://127.0.0.1:9742/readyz >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf http://127.0.0.1:9742/readyz >/dev/null || { echo "error: the demo agent did not start:"; cat "$work/agent.log"; exit 1; }

show() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@" || true; }
echo "Simulated cluster: $(head -1 "$work/sim.log"); agent for n02 on http://127.0.0.1:9742"
show kubectl get nodes
show kubectl netcheck nodes
show kubectl netcheck node n02
printf '\n\033[1m$ curl -s http://127.0.0.1:9742/metrics | grep -v "^#" | head\033[0m\n'
curl -s http://127.0.0.1:9742/metrics | grep -E '^netcheck_[a-z_]+\{' | grep -v check_status | head -12

if [ "${DEMO_ONCE:-}" = 1 ]; then exit 0; fi
echo
echo "The agent's /metrics stays up at http://127.0.0.1:9742/metrics; try: KUBECONFIG=$KUBECONFIG kubectl netcheck node n03"
echo "Ctrl-C to stop."
wait
