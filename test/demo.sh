#!/usr/bin/env bash
# make demo: the simulated cluster of seeds 000/001 with a netcheck agent on every node (each on a
# fixture host tree, publishing its NodeReport into the cluster), then what a user runs. Leaves
# n02's agent /metrics up until Ctrl-C (DEMO_ONCE=1 exits at once). Every command the demo runs
# for you to see is printed before it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
# kubectl finds the executable make built (dist/bin), as an installed plugin is found.
export KUBECONFIG="$work/kubeconfig" PATH="$PWD/dist/bin:$PWD/bin:$PATH"
port=${DEMO_PORT:-9742}
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM

declare -A host=([m01]=healthy-flannel-control-plane [n01]=conntrack-full [n02]=nic-down [n03]=no-default-route)
users=()
for node in "${!host[@]}"; do users+=(--user "agent-$node=system:serviceaccount:netcheck:netcheck-agent,node=$node"); done

node dist/sim.mjs --kubeconfig-out "$KUBECONFIG" "${users[@]}" \
  --fixtures test/fixtures/clusters/flannel-incidents.yaml,test/fixtures/clusters/demo-agent.yaml,deploy/base/nodereport-crd.yaml,deploy/base/nodereport-policy.yaml \
  > "$work/sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$KUBECONFIG" ] && break; sleep 0.1; done
[ -s "$KUBECONFIG" ] || { echo "error: the simulated cluster did not start:"; cat "$work/sim.log"; exit 1; }

# Each agent authenticates as the DaemonSet's service account on its node (the sim's --user tokens).
for node in "${!host[@]}"; do
  sed "s/token: sim-token/token: agent-$node/" "$KUBECONFIG" > "$work/$node.kubeconfig"
  listen=0; [ "$node" = n02 ] && listen=$port
  node dist/exporter.mjs --probe-interval 0 --node-name "$node" --host-root "test/fixtures/hosts/${host[$node]}" --address 127.0.0.1 --port "$listen" \
    --interval 10s --kubeconfig "$work/$node.kubeconfig" > "$work/agent-$node.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 150); do [ "$(kubectl get nodereports --no-headers 2>/dev/null | wc -l)" = 4 ] && break; sleep 0.2; done
if [ "$(kubectl get nodereports --no-headers 2>/dev/null | wc -l)" != 4 ]; then
  echo "error: the demo agents did not publish their reports:"; tail -n 5 "$work"/agent-*.log; exit 1
fi

show() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@" || true; }
echo "Simulated cluster: $(head -1 "$work/sim.log"); a netcheck agent on each node (n02's at http://127.0.0.1:$port)"
show kubectl get nodes
show kubectl get nodereports
show kubectl netcheck nodes
show kubectl netcheck nodes -o wide
show kubectl netcheck node n02
printf '\n\033[1m$ curl -s http://127.0.0.1:%s/metrics | grep -E "^netcheck_[a-z_]+\\{" | grep -v check_status | head -12\033[0m\n' "$port"
curl -s "http://127.0.0.1:$port/metrics" | grep -E '^netcheck_[a-z_]+\{' | grep -v check_status | head -12

if [ "${DEMO_ONCE:-}" = 1 ]; then exit 0; fi
echo
echo "n02's agent serves http://127.0.0.1:$port/metrics until Ctrl-C; try: KUBECONFIG=$KUBECONFIG kubectl netcheck node n03"
wait
