import { COMMAND_SCHEMA_VERSION } from '../../../core/commands';
import { CommandInbox } from '../../../device/commands';

const command = (commandId: string, params: Record<string, unknown> = {}, deviceId?: string) =>
  Buffer.from(JSON.stringify({ schema: COMMAND_SCHEMA_VERSION, commandId, issuedAt: 1, params, deviceId }));

describe('CommandInbox', () => {
  it('when a command is redelivered, answers it again the same way without applying it twice', () => {
    const applied: string[] = [];
    const inbox = new CommandInbox(
      (name) => {
        applied.push(name);
        return { status: 'ok', detail: 'done' };
      },
      () => 42,
    );
    const first = inbox.receive('safe-mode', command('c-1'));
    const again = inbox.receive('safe-mode', command('c-1'));

    expect(first).toEqual({
      response: { schema: COMMAND_SCHEMA_VERSION, commandId: 'c-1', status: 'ok', detail: 'done', at: 42 },
      repeat: false,
    });
    expect(again).toEqual({ response: first!.response, repeat: true });
    expect(applied).toEqual(['safe-mode']);
  });

  it('when the command is unknown or breaks the contract, rejects it with the reason and applies nothing', () => {
    const inbox = new CommandInbox(
      () => {
        throw new Error('must not be applied');
      },
      () => 1,
    );
    expect(inbox.receive('reboot', command('c-2'))?.response).toMatchObject({
      status: 'rejected',
      detail: expect.stringContaining('unknown command "reboot"'),
    });
    expect(inbox.receive('resume', Buffer.from('not json'))?.response).toMatchObject({
      commandId: 'unknown',
      status: 'rejected',
      detail: expect.stringContaining('invalid command'),
    });
  });

  it('on a site-wide topic, takes only the commands addressed to this device and leaves the others unanswered', () => {
    const applied: string[] = [];
    const inbox = new CommandInbox(
      (_name, c) => {
        applied.push(c.commandId);
        return { status: 'ok', detail: 'done' };
      },
      () => 7,
    );
    expect(inbox.receive('safe-mode', command('e-1', {}, 'pump-2'), 'pump-1')).toBeUndefined();
    expect(inbox.receive('safe-mode', command('e-2'), 'pump-1')).toBeUndefined();
    expect(inbox.receive('safe-mode', command('e-3', {}, 'pump-1'), 'pump-1')?.response).toMatchObject({
      commandId: 'e-3',
      status: 'ok',
    });
    expect(applied).toEqual(['e-3']);
  });
});
