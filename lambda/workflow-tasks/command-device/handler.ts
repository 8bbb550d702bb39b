import { type IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { safeModeCommand } from '../../../core/workflows/anomaly-response';

export interface CommandDeviceDeps {
  /** Resolves the data-plane client (its endpoint is the account's, found once). */
  readonly client: () => Promise<IoTDataPlaneClient>;
  readonly clock?: () => number;
}

/** Publishes the safe-mode command on the device's command topic, QoS 1. */
export function makeHandler(deps: CommandDeviceDeps) {
  const clock = deps.clock ?? Date.now;
  return async (event: unknown): Promise<{ topic: string; commandId: string }> => {
    const { topic, command, payload } = safeModeCommand(event, clock());
    const client = await deps.client();
    await client.send(new PublishCommand({ topic, qos: 1, payload: Buffer.from(payload, 'utf8') }));
    return { topic, commandId: command.commandId };
  };
}
