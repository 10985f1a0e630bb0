// ValidatingAdmissionPolicy as the API server applies it (admissionregistration.k8s.io/v1): the
// policies and bindings stored in the simulated cluster are evaluated on every write, their CEL
// expressions by a CEL implementation, so the policy shipped in deploy/ is the one tested.
import { evaluate } from '@marcbachmann/cel-js';
import type { Resource, Store } from './store';

type Obj = Record<string, any>;

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra: Record<string, string[]>;
}

export interface AdmissionRequest {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  resource: Resource;
  subResource?: string;
  name?: string;
  namespace?: string;
  user: UserInfo;
  object?: Obj;
  oldObject?: Obj;
}

export interface Denial {
  code: number;
  reason: string;
  message: string;
}

const matches = (list: string[] | undefined, value: string) => !list || list.includes('*') || list.includes(value);

function ruleMatches(policy: Obj, req: AdmissionRequest): boolean {
  const resourceName = req.subResource ? `${req.resource.name}/${req.subResource}` : req.resource.name;
  return (policy.spec?.matchConstraints?.resourceRules ?? []).some(
    (rule: Obj) =>
      matches(rule.apiGroups, req.resource.group) &&
      matches(rule.apiVersions, req.resource.version) &&
      matches(rule.operations, req.operation) &&
      (matches(rule.resources, resourceName) || (rule.resources ?? []).includes(`${req.resource.name}/*`)),
  );
}

/** The first denial of the request by a bound policy, or undefined when every policy admits it. */
export function admit(store: Store, req: AdmissionRequest): Denial | undefined {
  const vars = {
    request: {
      operation: req.operation,
      name: req.name ?? '',
      namespace: req.namespace ?? '',
      subResource: req.subResource ?? '',
      resource: { group: req.resource.group, version: req.resource.version, resource: req.resource.name },
      kind: { group: req.resource.group, version: req.resource.version, kind: req.resource.kind },
      userInfo: { username: req.user.username, uid: req.user.uid ?? '', groups: req.user.groups, extra: req.user.extra },
    },
    object: req.object ?? null,
    oldObject: req.oldObject ?? null,
    params: null,
  };
  const bindings = store.objects.get('validatingadmissionpolicybindings') ?? [];
  for (const policy of store.objects.get('validatingadmissionpolicies') ?? []) {
    const binding = bindings.find((b) => b.spec?.policyName === policy.metadata.name);
    if (!binding || !(binding.spec.validationActions ?? []).includes('Deny') || !ruleMatches(policy, req)) continue;
    const holds = (expression: string) => {
      try {
        return evaluate(expression, vars) === true;
      } catch {
        return policy.spec.failurePolicy === 'Ignore';
      }
    };
    if (!(policy.spec.matchConditions ?? []).every((c: Obj) => holds(c.expression))) continue;
    for (const v of policy.spec.validations ?? []) {
      if (holds(v.expression)) continue;
      let message = v.message ?? `failed expression: ${v.expression}`;
      if (v.messageExpression) {
        try {
          message = String(evaluate(v.messageExpression, vars));
        } catch {
          // keep the static message
        }
      }
      const reason = v.reason ?? 'Invalid';
      const what = `${req.resource.name}${req.resource.group ? `.${req.resource.group}` : ''} "${req.name ?? ''}"`;
      return {
        code: reason === 'Forbidden' ? 403 : reason === 'Unauthorized' ? 401 : 422,
        reason,
        message: `${what} is forbidden: ValidatingAdmissionPolicy '${policy.metadata.name}' with binding '${binding.metadata.name}' denied request: ${message}`,
      };
    }
  }
  return undefined;
}
