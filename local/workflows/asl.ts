import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The workflows, one ASL file each; CDK and the local runner both read these files. */
export const WORKFLOW_FILES = {
  'anomaly-response': path.resolve(__dirname, '../../lib/workflows/anomaly-response.asl.json'),
  retraining: path.resolve(__dirname, '../../lib/workflows/retraining.asl.json'),
} as const;
export type WorkflowName = keyof typeof WORKFLOW_FILES;

const PLACEHOLDER = /\$\{([A-Za-z0-9_]+)\}/g;

/** The `${Name}` placeholders a definition uses, as CDK's definitionSubstitutions must fill them. */
export function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))].sort();
}

/**
 * Reads a workflow and fills its placeholders the way Step Functions' definition substitutions
 * do; a placeholder left without a value is an error, not a silent literal.
 */
export function loadDefinition(
  name: WorkflowName,
  substitutions: Readonly<Record<string, string>>,
): AslDefinition {
  const text = readFileSync(WORKFLOW_FILES[name], 'utf8');
  const missing = placeholders(text).filter((p) => substitutions[p] === undefined);
  if (missing.length > 0)
    throw new Error(`${name}: no value for ${missing.map((m) => `\${${m}}`).join(', ')}`);
  return JSON.parse(text.replace(PLACEHOLDER, (_, key: string) => substitutions[key]!)) as AslDefinition;
}

export interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Branches?: readonly { readonly States: Readonly<Record<string, AslState>> }[];
  readonly [key: string]: unknown;
}

export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
  readonly [key: string]: unknown;
}

/** Every Task state (by name) with its resource, Parallel branches included. */
export function taskStates(def: Pick<AslDefinition, 'States'>): { name: string; resource: string }[] {
  const out: { name: string; resource: string }[] = [];
  for (const [name, state] of Object.entries(def.States)) {
    if (state.Type === 'Task' && state.Resource) out.push({ name, resource: state.Resource });
    for (const branch of state.Branches ?? []) out.push(...taskStates(branch));
  }
  return out;
}
