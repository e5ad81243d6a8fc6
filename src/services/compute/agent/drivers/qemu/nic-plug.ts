// NICs hot-plugged into a running guest through QMP (netdev_add of the port's tap, device_add virtio-net-pci with the
// port's MAC on a free slot of the root bus; device_del, the guest's DEVICE_DELETED, netdev_del) and recorded in
// guest.json's spec, so a guest started again, or driven by a restarted agent, keeps them.
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { BadRequest, Conflict, NotFound } from '#lib/errors.ts';
import type { GuestSpec } from '../hypervisor-driver.ts';
import type { GuestHost } from './guest-host.ts';
import { readGuestRecord, writeGuestRecord } from './guest-dir.ts';
import { guestPid } from './guest-process.ts';
import { tapOf } from './qemu-command.ts';
import { QmpError } from './qmp-client.ts';
import type { QmpClient } from './qmp-client.ts';

type Nic = GuestSpec['nics'][number];

const PORT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The QEMU ids of a hot-plugged NIC (a guest started again numbers all its NICs net<i>/nic<i> instead). */
export function hotplugIds(portId: string): { netdev: string; device: string } {
  if (!PORT_ID.test(portId)) throw new BadRequest(`'${portId}' is not a port id`);
  return { netdev: `net-${portId}`, device: `nic-${portId}` };
}

/** The device and netdev ids of the guest's NIC with `mac`, whichever scheme named it (launch or hot-plug). */
export async function findNic(q: QmpClient, mac: string): Promise<{ device: string; netdev: string } | undefined> {
  const children = await q.execute<{ name: string; type: string }[]>('qom-list', { path: '/machine/peripheral' });
  for (const c of children.filter((child) => child.type === 'child<virtio-net-pci>')) {
    const path = `/machine/peripheral/${c.name}`;
    if ((await q.execute<string>('qom-get', { path, property: 'mac' })).toLowerCase() !== mac.toLowerCase()) continue;
    return { device: c.name, netdev: await q.execute<string>('qom-get', { path, property: 'netdev' }) };
  }
  return undefined;
}

/** The network agent creates a port's tap once the port is bound here, asynchronously: wait for it as spawn does. */
async function waitForTap(tap: string, portId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(`/sys/class/net/${tap}`)) {
    if (Date.now() >= deadline) throw new Error(`tap device ${tap} of port ${portId} did not appear within ${timeoutMs / 1000} s (is the network agent running on this host?)`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const missing = (err: unknown) => err instanceof QmpError && (err.errorClass === 'DeviceNotFound' || /not found|Cannot find/i.test(err.message));

export interface NicPlug {
  attach(opts: { uuid: string; nic: Nic }): Promise<void>;
  detach(opts: { uuid: string; portId: string }): Promise<void>;
}

export function createNicPlug(host: GuestHost, opts: { tapWaitMs: number; detachTimeoutMs: number }): NicPlug {
  /** Unplugs the NIC with `mac` from the running guest; a Conflict when the guest does not let go in time. */
  async function unplug(uuid: string, nic: Nic): Promise<void> {
    await host.withQmp(uuid, async (q) => {
      const found = await findNic(q, nic.macAddress);
      if (!found) return;
      const deleted = q.waitEvent('DEVICE_DELETED', { match: (e) => e.data?.device === found.device, timeoutMs: opts.detachTimeoutMs });
      deleted.catch(() => undefined);
      let present = true;
      try {
        await q.execute('device_del', { id: found.device });
      } catch (err) {
        // Gone already: nothing to wait for. Already being unplugged (a retry): wait as before.
        if (missing(err)) present = false;
        else if (!/in the process of unplug/.test((err as Error).message)) throw err;
      }
      if (present) {
        await deleted.catch(() => {
          throw new Conflict(`Instance ${uuid} did not release the interface of port ${nic.portId} within ${opts.detachTimeoutMs / 1000} s (does its OS handle PCI hot-unplug?).`);
        });
      }
      if (found.netdev) await q.execute('netdev_del', { id: found.netdev }).catch((err: unknown) => { if (!missing(err)) throw err; });
    });
  }

  return {
    attach: ({ uuid, nic }) => host.serialized(uuid, async () => {
      const paths = host.paths(uuid);
      const record = await readGuestRecord(paths);
      if (!record) throw new NotFound(`Instance ${uuid} could not be found on this hypervisor.`);
      if (record.spec.nics.some((n) => n.portId === nic.portId)) return;
      const ids = hotplugIds(nic.portId);
      let tap: string;
      try {
        tap = tapOf(nic);
      } catch (err) {
        throw new BadRequest((err as Error).message);
      }
      const running = Boolean(await guestPid(paths, uuid));
      if (running) {
        await waitForTap(tap, nic.portId, opts.tapWaitMs);
        await host.withQmp(uuid, async (q) => {
          await q.execute('netdev_add', { type: 'tap', id: ids.netdev, ifname: tap, script: 'no', downscript: 'no', vhost: false });
          try {
            await q.execute('device_add', { driver: 'virtio-net-pci', netdev: ids.netdev, mac: nic.macAddress.toLowerCase(), id: ids.device });
          } catch (err) {
            await q.execute('netdev_del', { id: ids.netdev }).catch(() => undefined);
            throw err;
          }
        });
      } else if (await stat(paths.memoryState).then(() => true, () => false)) {
        // Its saved RAM describes the hardware it had: a new device would make the state unloadable.
        throw new Conflict(`Cannot attach an interface to instance ${uuid} while it is suspended.`);
      }
      // A stopped guest gets the NIC at its next start (launch waits for the tap like any other).
      try {
        await writeGuestRecord(paths, { ...record, spec: { ...record.spec, nics: [...record.spec.nics, nic] } });
      } catch (err) {
        if (running) await unplug(uuid, nic).catch(() => undefined);
        throw err;
      }
    }),

    detach: ({ uuid, portId }) => host.serialized(uuid, async () => {
      const paths = host.paths(uuid);
      const record = await readGuestRecord(paths);
      const nic = record?.spec.nics.find((n) => n.portId === portId);
      if (!record || !nic) return;
      if (await guestPid(paths, uuid)) await unplug(uuid, nic);
      await writeGuestRecord(paths, { ...record, spec: { ...record.spec, nics: record.spec.nics.filter((n) => n.portId !== portId) } });
    }),
  };
}
