import type { Clock } from '../core/clock';
import {
  COMMAND_SCHEMA_VERSION,
  type Command,
  type CommandName,
  CommandNameSchema,
  type CommandResponse,
  CommandSchema,
} from '../core/commands';

/** What applying a command did: done, or refused with the reason. */
export interface CommandOutcome {
  readonly status: 'ok' | 'rejected';
  readonly detail: string;
}

/** How many answered commands are remembered to recognise a redelivery. */
const REMEMBERED = 256;

/**
 * A device's command intake: checks a command against the contract (`core/commands`), has it
 * applied once, and answers it; a redelivered command (MQTT QoS 1) gets the same answer again
 * without being applied twice.
 */
export class CommandInbox {
  private readonly answered = new Map<string, CommandResponse>();

  constructor(
    private readonly apply: (name: CommandName, command: Command) => CommandOutcome,
    private readonly clock: Clock,
  ) {}

  /**
   * The answer to `payload` arriving for the command `name`; `repeat` when it was answered before.
   *
   * @param addressedTo the device's id, for a command taken from a topic every device of a site
   *   receives (the site's edge commands): a command whose `deviceId` is not this one is for
   *   another device and gets no answer (undefined)
   */
  receive(
    name: string,
    payload: Buffer,
    addressedTo?: string,
  ): { response: CommandResponse; repeat: boolean } | undefined {
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      json = undefined;
    }
    if (addressedTo !== undefined && (json as { deviceId?: unknown } | undefined)?.deviceId !== addressedTo)
      return undefined;
    const id = (json as { commandId?: unknown } | undefined)?.commandId;
    const commandId = (typeof id === 'string' && id.slice(0, 128)) || 'unknown';
    const previous = this.answered.get(commandId);
    if (previous && commandId !== 'unknown') return { response: previous, repeat: true };

    const known = CommandNameSchema.safeParse(name);
    const parsed = CommandSchema.safeParse(json);
    let outcome: CommandOutcome;
    if (!known.success) {
      outcome = {
        status: 'rejected',
        detail: `unknown command "${name}"; known: ${CommandNameSchema.options.join(', ')}`,
      };
    } else if (!parsed.success) {
      const problems = parsed.error.issues
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ');
      outcome = { status: 'rejected', detail: `invalid command: ${problems}` };
    } else {
      outcome = this.apply(known.data, parsed.data);
    }
    const response: CommandResponse = {
      schema: COMMAND_SCHEMA_VERSION,
      commandId,
      status: outcome.status,
      detail: outcome.detail.slice(0, 512),
      at: this.clock(),
    };
    this.answered.set(commandId, response);
    if (this.answered.size > REMEMBERED) this.answered.delete(this.answered.keys().next().value!);
    return { response, repeat: false };
  }
}
