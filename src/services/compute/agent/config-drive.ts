// The config drive's files for a server that asked for one (or every server, with force_config_drive): the same
// documents the metadata API serves, built from the ports the agent just bound as Networking now describes them.
import { randomBytes } from 'node:crypto';
import type { BusContext } from '#lib/bus/index.ts';
import type { Instance } from '../domain/instance.ts';
import { buildInstanceMetadata, configDriveFiles } from '../domain/instance-metadata.ts';
import { guestNetworkOf } from '../domain/guest-network.ts';
import type { AgentDeps } from './agent-deps.ts';
import type { ConfigDriveFiles } from './drivers/hypervisor-driver.ts';

export async function configDriveFor(deps: AgentDeps, ctx: BusContext, instance: Instance): Promise<ConfigDriveFiles | undefined> {
  if (!instance.configDrive && !deps.configDrive.force) return undefined;
  const network = await guestNetworkOf(await deps.network(), instance.uuid);
  const volumeDevices = (await deps.conductor.call('volume_attachments', { uuid: instance.uuid }, ctx)).map((v) => v.device);
  return configDriveFiles(buildInstanceMetadata({
    instance, network, volumeDevices, dhcpDomain: deps.configDrive.dhcpDomain, randomSeed: randomBytes(512),
    // The agent knows the key the server booted with, not how it was stored: ssh is what nearly every key is.
    keyPair: instance.keyName && instance.keyData ? { name: instance.keyName, type: 'ssh', publicKey: instance.keyData } : null,
  }));
}
