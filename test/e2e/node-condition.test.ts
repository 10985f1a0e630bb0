// deploy/components/node-condition: the agent sets NetcheckPodNetwork on its own Node (False with
// the root cause), merged by type beside the kubelet's conditions; the admission policy shipped in
// the component keeps each agent to its own Node and to that one condition.
import path from 'node:path';
import { agentOn, REPORT_API, ROOT, type Sim, startSim } from './harness';

const POLICY = path.join(ROOT, 'deploy/components/node-condition/policy.yaml');
let sim: Sim;

beforeAll(async () => {
  sim = await startSim(['flannel-incidents.yaml', ...REPORT_API, POLICY], ['--user', 'agent-n02=system:serviceaccount:netcheck:netcheck-agent,node=n02']);
});
afterAll(() => sim.stop());

const conditionsOf = async (node: string) => {
  const res = await sim.fetchAs('agent-n02', 'GET', `/api/v1/nodes/${node}`);
  return ((await res.json()) as { status: { conditions: { type: string; status: string; reason?: string; message?: string }[] } }).status.conditions;
};

test('a node whose default route is gone gets NetcheckPodNetwork=False, reason DefaultRoute; the kubelet’s conditions stay', async () => {
  const before = await conditionsOf('n02');
  const agent = await agentOn(sim, 'n02', 'nic-down', ['--node-condition']);
  try {
    await agent.waitFor('the condition on n02', async () => (await conditionsOf('n02')).some((c) => c.type === 'NetcheckPodNetwork'));
    const after = await conditionsOf('n02');
    expect(after.find((c) => c.type === 'NetcheckPodNetwork')).toMatchObject({ status: 'False', reason: 'DefaultRoute', message: 'default-route: no default route; eth0 is down' });
    expect(after.filter((c) => c.type !== 'NetcheckPodNetwork')).toEqual(before);
  } finally {
    await agent.stop();
  }
});

test("the policy: an agent may not set another node's condition, nor touch the kubelet's", async () => {
  const patch = (conditions: object[]) => JSON.stringify({ status: { conditions } });
  const other = await sim.fetchAs(
    'agent-n02',
    'PATCH',
    '/api/v1/nodes/n01/status',
    patch([{ type: 'NetcheckPodNetwork', status: 'False', reason: 'X', message: 'x' }]),
    'application/strategic-merge-patch+json',
  );
  expect(other.status).toBe(403);
  expect(await other.text()).toContain('the netcheck agent may set conditions only on its own Node, not n01');
  const ready = await sim.fetchAs(
    'agent-n02',
    'PATCH',
    '/api/v1/nodes/n02/status',
    patch([{ type: 'Ready', status: 'False', reason: 'Forged', message: 'x' }]),
    'application/strategic-merge-patch+json',
  );
  expect(ready.status).toBe(403);
  expect(await ready.text()).toContain('may change only the NetcheckPodNetwork condition');
});
