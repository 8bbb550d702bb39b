import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { FUNCTIONS } from '../../lambda/functions';
import { ProjectFunction } from '../../lib/constructs/common/project-function';
import { buildStack, testApp } from '../fixtures/stack';

const LAMBDA = path.resolve(__dirname, '../../lambda');

/** Every folder under lambda/ holding an index.ts, as `workflow-tasks/enrich`. */
function functionFolders(dir = LAMBDA, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (!statSync(full).isDirectory() || name === 'shared') return [];
    const here = readdirSync(full).includes('index.ts') ? [`${prefix}${name}`] : [];
    return [...here, ...functionFolders(full, `${prefix}${name}/`)];
  });
}

describe('function environments', () => {
  it('when a function folder exists, the function table has its environment schema, and the other way round', () => {
    expect(Object.keys(FUNCTIONS).sort()).toEqual(functionFolders().sort());
  });

  it('when a function lacks a variable its schema requires, synth fails naming the function and the variable', () => {
    const app = testApp();
    const stack = new Stack(app, 'env-test');
    new ProjectFunction(stack, 'Promote', { entry: 'workflow-tasks/promote-model', description: 'test' });
    expect(() => app.synth()).toThrow(/lambda\/workflow-tasks\/promote-model\/env\.ts requires MODEL_BUCKET/);
  });

  it('when the whole stack is synthesized (QuickSight on: every function), each has every variable its schema requires', () => {
    const { app, stack } = buildStack({
      quicksightPrincipalArn: 'arn:aws:quicksight:us-east-1:123456789012:user/default/ops',
    });
    const entries = stack.node
      .findAll()
      .filter((c): c is ProjectFunction => c instanceof ProjectFunction)
      .map((f) => f.entry);
    expect([...new Set(entries)].sort()).toEqual(Object.keys(FUNCTIONS).sort());
    expect(() => app.synth()).not.toThrow();
  });
});
