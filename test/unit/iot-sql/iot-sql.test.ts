import {
  compileRule,
  compileTemplate,
  type RuleInput,
  runRule,
  UnsupportedSqlError,
} from '../../../core/iot-sql';
import { RULES } from '../../../core/rules';

const input = (topic: string, payload: unknown, extra: Partial<RuleInput> = {}): RuleInput => ({
  topic,
  payload: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
  clientId: 'AIOT-0000000A',
  timestamp: 1_795_000_000_000,
  ...extra,
});
const outputOf = (r: ReturnType<typeof runRule>) =>
  r.status === 'matched' ? JSON.parse(Buffer.from(r.output).toString()) : r;

describe('iot-sql', () => {
  it('when the telemetry rule sees a JSON message, adds site, device and receive time from the topic', () => {
    const rule = compileRule(RULES.telemetry.sql);
    const r = runRule(rule, input('dt/aiot/plant-a/AIOT-0000000A/telemetry', { seq: 1, readings: [] }));
    expect(outputOf(r)).toEqual({
      seq: 1,
      readings: [],
      topicSite: 'plant-a',
      topicDeviceId: 'AIOT-0000000A',
      receivedAt: 1_795_000_000_000,
    });
  });

  it('when the telemetry rule sees another topic, does not match', () => {
    const rule = compileRule(RULES.telemetry.sql);
    expect(runRule(rule, input('dt/aiot/plant-a/AIOT-0000000A/events', {})).status).toBe('no-match');
    expect(runRule(rule, input('dt/aiot/plant-a/telemetry', {})).status).toBe('no-match');
  });

  it('when the payload is not a JSON object, fails the rule with the reason (the error action takes it)', () => {
    const rule = compileRule(RULES.telemetry.sql);
    expect(runRule(rule, input('dt/aiot/s/d/telemetry', 'garbage'))).toEqual({
      status: 'error',
      reason: expect.stringMatching(/^payload is not JSON/),
    });
    expect(runRule(rule, input('dt/aiot/s/d/telemetry', [1, 2]))).toEqual({
      status: 'error',
      reason: 'SELECT * with other fields needs a JSON object payload',
    });
  });

  it("when the events rule's WHERE does not hold, does not match; when it holds, matches", () => {
    const rule = compileRule(RULES.events.sql);
    expect(runRule(rule, input('dt/aiot/s/d/events', { kind: 'heartbeat' })).status).toBe('no-match');
    expect(runRule(rule, input('dt/aiot/s/d/events', { other: 1 })).status).toBe('no-match');
    expect(outputOf(runRule(rule, input('dt/aiot/s/d/events', { kind: 'anomaly' })))).toMatchObject({
      kind: 'anomaly',
      topicDeviceId: 'd',
    });
  });

  it('when SELECT * comes with fields, keeps the payload text and its numbers as sent, the fields winning', () => {
    const rule = compileRule(RULES.telemetry.sql);
    const text = '{ "v": 1e400, "w": 0.10000000000000001, "topicSite": "forged" }\n';
    const r = runRule(rule, input('dt/aiot/plant-a/AIOT-0000000A/telemetry', text));
    const out = r.status === 'matched' ? Buffer.from(r.output).toString() : '';
    expect(out).toContain('"v": 1e400');
    expect(JSON.parse(out)).toEqual({
      v: Number.POSITIVE_INFINITY,
      w: 0.1,
      topicSite: 'plant-a',
      topicDeviceId: 'AIOT-0000000A',
      receivedAt: 1_795_000_000_000,
    });
    const empty = runRule(rule, input('dt/aiot/plant-a/AIOT-0000000A/telemetry', '{}'));
    expect(outputOf(empty)).toEqual({
      topicSite: 'plant-a',
      topicDeviceId: 'AIOT-0000000A',
      receivedAt: 1_795_000_000_000,
    });
  });

  it('when * comes after the fields, the payload wins over them, as in an object spread', () => {
    const rule = compileRule("SELECT topic(1) AS a, * FROM '+/+'");
    expect(outputOf(runRule(rule, input('p/q', { a: 'own', b: 2 })))).toEqual({ a: 'own', b: 2 });
    expect(outputOf(runRule(rule, input('p/q', { b: 2 })))).toEqual({ a: 'p', b: 2 });
  });

  it('when SELECT * stands alone, passes any payload through unchanged, binary included', () => {
    const rule = compileRule("SELECT * FROM 'a/#'");
    const bytes = Buffer.from([0xff, 0x00, 0x7b]);
    const r = runRule(rule, { ...input('a/b/c', ''), payload: bytes });
    expect(r.status === 'matched' && Buffer.from(r.output).equals(bytes)).toBe(true);
  });

  it('when selecting nested paths, aliases, literals and functions, builds the object IoT Core would', () => {
    const rule = compileRule(
      "SELECT a.b.c AS deep, x, 'k' AS lit, topic() AS t, topic(2) AS t2, clientid() AS c FROM '+/+' WHERE (n > 2 AND NOT flag = true) OR name = 'o''k'",
    );
    expect(outputOf(runRule(rule, input('p/q', { a: { b: { c: 5 } }, x: [1], n: 3, flag: false })))).toEqual({
      deep: 5,
      x: [1],
      lit: 'k',
      t: 'p/q',
      t2: 'q',
      c: 'AIOT-0000000A',
    });
    expect(runRule(rule, input('p/q', { n: 1, name: "o'k" })).status).toBe('matched');
    expect(runRule(rule, input('p/q', { n: 1, name: 'no' })).status).toBe('no-match');
    // A missing field is left out, not null.
    expect(outputOf(runRule(rule, input('p/q', { n: 9 })))).not.toHaveProperty('deep');
  });

  it('when comparing across types or with a missing field, the condition is not met', () => {
    const rule = compileRule("SELECT * FROM '#' WHERE n >= 2 OR s < 'b'");
    expect(runRule(rule, input('t', { n: '5' })).status).toBe('no-match');
    expect(runRule(rule, input('t', { s: 'a' })).status).toBe('matched');
    expect(runRule(rule, input('t', { n: -1.5e1 })).status).toBe('no-match');
  });

  it.each([
    ["SELECT * FROM 'a' WHERE upper(x) = 'A'", /unsupported function upper\(\)/],
    ["SELECT * FROM 'a' WHERE x IN (1, 2)", /unsupported construct near "IN/],
    ["SELECT * FROM 'a' ORDER BY x", /unsupported construct near "ORDER BY/],
    ["SELECT x + 1 FROM 'a'", /unsupported character "\+"/],
    ['SELECT * FROM a', /expected a quoted topic filter/],
    ["SELECT * FROM 'a' WHERE CASE x WHEN 1 THEN 2 END", /unsupported construct near "x WHEN/],
  ])(
    'when the SQL uses something outside the subset (%s), refuses it at compile time naming it',
    (sql, msg) => {
      expect(() => compileRule(sql)).toThrow(UnsupportedSqlError);
      expect(() => compileRule(sql)).toThrow(msg);
    },
  );

  it("when compiling the stack's partition key template, yields the device id from the topic", () => {
    const key = compileTemplate(RULES.telemetry.partitionKey!);
    expect(key(input('dt/aiot/plant-a/AIOT-0000000A/telemetry', {}))).toBe('AIOT-0000000A');
    expect(compileTemplate('x/${topic(1)}-${clientid()}/y')(input('a/b', {}))).toBe('x/a-AIOT-0000000A/y');
  });

  it.each([
    ['${topic(4) garbage}', /unsupported construct near "garbage"/],
    ['${topic(4)', /unterminated substitution/],
    ['${}', /unsupported construct/],
  ])('when a template is not one whole expression (%s), refuses it naming the rest', (template, msg) => {
    expect(() => compileTemplate(template)).toThrow(UnsupportedSqlError);
    expect(() => compileTemplate(template)).toThrow(msg);
  });
});
