import { DEVICE_ID_PATTERN, SITE_PATTERN } from '../../core/telemetry';
import { PROVISIONING_CLIENT_PREFIX } from '../../core/topics';

/** What IoT fleet provisioning sends a pre-provisioning hook (payload version 2020-04-01). */
export interface PreProvisioningEvent {
  readonly claimCertificateId?: string;
  readonly certificateId?: string;
  readonly templateArn?: string;
  readonly clientId?: string;
  readonly parameters?: Record<string, string | undefined>;
}

export interface PreProvisioningResponse {
  readonly allowProvisioning: boolean;
  readonly parameterOverrides?: Record<string, string>;
}

/**
 * Decides whether a device may be provisioned: its serial number must match the known pattern
 * (and be usable as a thing name and device id), and its site must be a valid site id.
 */
export function decide(
  event: PreProvisioningEvent,
  serialPattern: RegExp,
): PreProvisioningResponse & { reason: string } {
  const serial = event.parameters?.SerialNumber;
  const site = event.parameters?.Site;
  if (!serial) return { allowProvisioning: false, reason: 'no SerialNumber parameter' };
  if (!serialPattern.test(serial))
    return { allowProvisioning: false, reason: `serial ${serial} is not a known serial` };
  if (serial.startsWith(PROVISIONING_CLIENT_PREFIX))
    return {
      allowProvisioning: false,
      reason: `serial ${serial} starts with the provisioning client id prefix`,
    };
  if (!DEVICE_ID_PATTERN.test(serial))
    return { allowProvisioning: false, reason: `serial ${serial} is not a valid device id` };
  if (!site || !SITE_PATTERN.test(site))
    return { allowProvisioning: false, reason: `site ${site ?? '(none)'} is not valid` };
  return { allowProvisioning: true, reason: 'known serial' };
}
