import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEPLOY_REGIONS } from '../../lib/constructs/common/deploy-regions';

/** The list items under a top-level key of the flat YAML file (no YAML parser needed for it). */
function yamlList(text: string, key: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(`${key}:`);
  const items: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break;
    const m = /^\s+- (\S+)/.exec(line);
    if (m) items.push(m[1]!);
  }
  return items;
}

describe('cfn-lint configuration', () => {
  const text = readFileSync(path.resolve(__dirname, '../../.cfnlintrc.yaml'), 'utf8');

  it('when CI lints the templates, it checks them for exactly the Regions the stack deploys to', () => {
    expect(yamlList(text, 'regions')).toEqual([...DEPLOY_REGIONS]);
  });

  it('when a warning is ignored, a comment above it gives the reason', () => {
    const lines = text.split('\n');
    const ignored = yamlList(text, 'ignore_checks');
    expect(ignored.length).toBeGreaterThan(0);
    for (const check of ignored) {
      let at = lines.findIndex((l) => l.trim() === `- ${check}`);
      const comment: string[] = [];
      while (lines[at - 1]?.trim().startsWith('#')) comment.unshift(lines[--at]!.trim());
      expect(comment[0]).toMatch(new RegExp(`^# ${check} \\S`));
    }
  });
});
