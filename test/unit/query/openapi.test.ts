import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openApiDocument } from '../../../core/query/openapi';
import { OPENAPI_PATH, ROUTES } from '../../../core/query/routes';

type Operation = {
  operationId: string;
  parameters: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
  responses: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }>;
};
/**
 * Runs @seriousme/openapi-schema-validator's own CLI on the document: the package is ESM-only,
 * which jest's CommonJS runtime cannot load, while plain Node can.
 */
function validate(doc: unknown): { valid: boolean; errors?: unknown[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiot-openapi-'));
  const file = path.join(dir, 'openapi.json');
  fs.writeFileSync(file, JSON.stringify(doc));
  const cli = require.resolve('@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
  try {
    return JSON.parse(execFileSync(process.execPath, [cli, file], { encoding: 'utf8' }));
  } catch (e) {
    // The CLI exits 1 on an invalid document and prints the errors on stdout.
    return JSON.parse((e as { stdout: string }).stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

type Doc = {
  paths: Record<string, { get: Operation }>;
  security?: unknown;
  components: Record<string, unknown>;
};

describe('openApiDocument', () => {
  it.each([
    [
      'for the cloud API with JWT',
      { auth: 'jwt' as const, serverUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com' },
    ],
    ['for the cloud API with IAM only', {}],
    ['for the local server', { auth: 'none' as const, serverUrl: 'http://127.0.0.1:8080/api' }],
  ])('when generated %s, it is a valid OpenAPI 3.1 document', (_name, opts) => {
    const doc = openApiDocument(opts);
    expect(doc.openapi).toBe('3.1.0');
    expect(validate(doc)).toEqual({ valid: true });
  });

  it('when a document is broken, the validator says so (the check can fail)', () => {
    const { info: _info, ...broken } = openApiDocument();
    expect(validate(broken)).toMatchObject({
      valid: false,
      errors: [expect.objectContaining({ keyword: 'required' })],
    });
  });

  it('when generated, every route of the table is a path with its parameters, and the document serves itself', () => {
    const doc = openApiDocument() as Doc;
    expect(Object.keys(doc.paths).sort()).toEqual([...ROUTES.map((r) => r.path), OPENAPI_PATH].sort());
    const telemetry = doc.paths['/devices/{id}/telemetry']!.get;
    expect(telemetry.parameters.map((p) => `${p.in}:${p.name}:${p.required}`)).toEqual([
      'path:id:true',
      'query:from:false',
      'query:to:false',
      'query:measure:false',
      'query:resolution:false',
      'query:limit:false',
      'query:cursor:false',
    ]);
    expect(telemetry.parameters.find((p) => p.name === 'limit')!.schema).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 1000,
      default: 500,
    });
    expect(telemetry.parameters.find((p) => p.name === 'resolution')!.schema).toMatchObject({
      enum: ['raw', '1m', '5m', '15m', '1h', '1d'],
    });
    expect(telemetry.responses['200']!.content!['application/json']!.schema).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['items', 'deviceId', 'from', 'to']),
    });
    expect(Object.keys(doc.paths['/devices/{id}']!.get.responses)).toContain('404');
  });

  it('when built for AWS, every operation requires SigV4 (or a JWT when configured)', () => {
    expect((openApiDocument() as Doc).security).toEqual([{ sigv4: [] }]);
    expect((openApiDocument({ auth: 'jwt' }) as Doc).security).toEqual([{ jwt: [] }]);
    expect((openApiDocument({ auth: 'none' }) as Doc).security).toBeUndefined();
  });
});
