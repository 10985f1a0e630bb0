// A custom resource is checked against its CRD's openAPIV3Schema on every write, as the API
// server does (structural schemas are JSON Schema plus x-kubernetes-* keywords, which ajv is told
// to ignore).
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Resource } from './store';

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const compiled = new WeakMap<object, ValidateFunction>();

/** Causes in the API server's words ("status.checks[0].status: Unsupported value"), or none. */
export function validateCustomResource(resource: Resource, obj: object): string[] {
  if (!resource.schema) return [];
  let validate = compiled.get(resource.schema);
  if (!validate) {
    validate = ajv.compile(resource.schema);
    compiled.set(resource.schema, validate);
  }
  if (validate(obj)) return [];
  return (validate.errors ?? []).map(
    (e) =>
      `${
        e.instancePath
          .replace(/^\//, '')
          .replace(/\/(\d+)/g, '[$1]')
          .replace(/\//g, '.') || '<root>'
      }: ${e.message}`,
  );
}
