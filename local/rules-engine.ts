import { type CompiledRule, compileRule, compileTemplate, type RuleInput, runRule } from '../core/iot-sql';
import { RULES, type RuleId, ruleName } from '../core/rules';
import { splitBasicIngest, TopicMemo, topicMatches } from '../core/topics';
import type { InboundMessage } from './broker';

/** What a rule's action does locally (Kinesis PutRecord, a Lambda invoke, …). */
export interface LocalRuleActions {
  readonly telemetry: (output: Uint8Array, partitionKey: string, m: InboundMessage) => void | Promise<void>;
  readonly events: (output: Uint8Array, m: InboundMessage) => void | Promise<void>;
  /** A device's answer to a safe-mode command (the acknowledgement handler's Lambda in AWS). */
  readonly commandAck: (output: Uint8Array, m: InboundMessage) => void | Promise<void>;
  /** The error action: a message a rule failed on, with the reason. */
  readonly error: (rule: string, reason: string, m: InboundMessage) => void | Promise<void>;
}

interface LoadedRule {
  readonly id: RuleId;
  readonly name: string;
  readonly compiled: CompiledRule;
  readonly partitionKey?: (input: RuleInput) => string;
}

/** The outcome of one message: which rules took it and whether any failed. */
export interface RuleDispatch {
  readonly matched: readonly RuleId[];
  readonly failed: readonly RuleId[];
  /**
   * Why no rule took the message, when none did and the error action has not seen it either:
   * a WHERE that did not hold, or a Basic Ingest topic outside the rule's topic filter.
   */
  readonly notTaken?: string;
}

/**
 * The local rules engine: the stack's own rule definitions (`core/rules.ts`), compiled once at
 * start-up (an unsupported construct stops the runtime there, naming it) and run on every
 * message. Basic Ingest topics go to the named rule only, which sees the topic without the prefix.
 */
export class LocalRulesEngine {
  private readonly rules: LoadedRule[];
  private readonly taken = new TopicMemo(
    (topic) =>
      splitBasicIngest(topic) !== undefined || this.rules.some((r) => topicMatches(r.compiled.from, topic)),
  );

  /** Without actions, the engine only tells which messages its rules are for ({@link takes}). */
  constructor(
    stage: string,
    private readonly actions?: LocalRuleActions,
  ) {
    this.rules = (Object.keys(RULES) as RuleId[]).map((id) => {
      const def = RULES[id];
      return {
        id,
        name: ruleName(stage, id),
        compiled: compileRule(def.sql),
        partitionKey: def.partitionKey ? compileTemplate(def.partitionKey) : undefined,
      };
    });
  }

  /**
   * True when a rule is for this topic by its topic filter alone (or it is a Basic Ingest
   * topic): decided where the broker hands a message over, before any rule runs.
   */
  takes(topic: string): boolean {
    return this.taken.get(topic);
  }

  /** Runs every rule the message is for and their actions; action failures go to the error action. */
  async dispatch(m: InboundMessage): Promise<RuleDispatch> {
    const actions = this.actions;
    if (!actions) throw new Error('this rules engine has no actions to run');
    const basic = splitBasicIngest(m.topic);
    const topic = basic?.topic ?? m.topic;
    const candidates = basic ? this.rules.filter((r) => r.name === basic.ruleName) : this.rules;
    if (basic && candidates.length === 0) {
      await actions.error(basic.ruleName, `no rule named ${basic.ruleName} (Basic Ingest)`, m);
      return { matched: [], failed: [] };
    }
    const input: RuleInput = { topic, payload: m.payload, clientId: m.clientId, timestamp: m.receivedAt };
    const matched: RuleId[] = [];
    const failed: RuleId[] = [];
    const passed: string[] = [];
    for (const rule of candidates) {
      const result = runRule(rule.compiled, input);
      if (result.status === 'no-match') {
        if (topicMatches(rule.compiled.from, topic))
          passed.push(`${rule.name}: ${whereClause(rule.compiled.sql)} does not hold`);
        else if (basic) passed.push(`${rule.name}: the topic is outside FROM '${rule.compiled.from}'`);
        continue;
      }
      matched.push(rule.id);
      try {
        if (result.status === 'error') throw new Error(result.reason);
        if (rule.id === 'telemetry') await actions.telemetry(result.output, rule.partitionKey!(input), m);
        else await actions[rule.id](result.output, m);
      } catch (e) {
        failed.push(rule.id);
        await actions.error(rule.name, (e as Error).message, m);
      }
    }
    if (matched.length > 0 || passed.length === 0) return { matched, failed };
    return { matched, failed, notTaken: `no rule takes this message (${passed.join('; ')})` };
  }
}

/** The WHERE condition as written in the rule's SQL, for reasons. */
function whereClause(sql: string): string {
  const at = sql.search(/\sWHERE\s/i);
  return at < 0 ? '' : sql.slice(at).trim();
}
