// block_device_mapping_v2 of POST /servers, checked as Nova checks it before anything is written: exactly one boot
// device and a boot sequence without gaps, sources that exist for the caller (an available volume, a snapshot, an
// active image), sizes that fit. The result is the plan the API records and the agent carries out.
import type { FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import type { BlockStorageClient, CallAuth } from '#services/block-storage/contract/client.ts';
import type { ImageRecord } from '#services/image/contract/client.ts';
import type { Flavor } from '../domain/flavor.ts';
import { imageNotFound } from '../domain/errors.ts';
import { nextDeviceName } from '../db/bdm-repo.ts';
import type { ComputeApiDeps } from './deps.ts';
import { atLeast } from './microversion.ts';
import { imageDefinedBdms, mergeImageBdms } from './image-defined-bdms.ts';
import { checkLocalDisks, isSwap } from './local-block-devices.ts';

/** One block_device_mapping_v2 item as the schema let it through. */
export interface BdmItem {
  source_type?: 'volume' | 'image' | 'snapshot' | 'blank';
  uuid?: string;
  destination_type?: 'local' | 'volume';
  guest_format?: string;
  device_type?: string;
  disk_bus?: string;
  boot_index?: number | string | null;
  device_name?: string;
  volume_size?: number | string;
  delete_on_termination?: boolean | string;
  tag?: string;
  volume_type?: string | null;
}

/** A mapping to record: a volume the server gets, existing (source volume) or made by the agent, or a local blank disk. */
export interface PlannedBdm {
  sourceType: 'volume' | 'image' | 'snapshot' | 'blank';
  /** 'local': a blank disk on the host (ephemeral, or swap by guest_format), made by the driver (local-block-devices.ts). */
  destinationType: 'volume' | 'local';
  /** The image or snapshot the agent makes the volume from. */
  sourceId: string | null;
  /** The user's volume (source volume). */
  volumeId: string | null;
  bootIndex: number | null;
  volumeSize: number | null;
  deleteOnTermination: boolean;
  deviceName: string;
  guestFormat: string | null;
  diskBus: string | null;
  deviceType: string | null;
  tag: string | null;
  /** The Block Storage volume type of a volume the agent makes (2.67). */
  volumeType: string | null;
}

export interface BootPlan {
  /** The image the server boots from; '' when its root disk is a volume. */
  imageRef: string;
  mappings: PlannedBdm[];
}

const GiB = 1024 ** 3;
const TRUE = new Set(['true', '1', 'on', 'yes']);
const invalid = (why: string) => new BadRequest(`Block Device Mapping is Invalid: ${why}`);
const BAD_SEQUENCE = 'Boot sequence for the instance and image/block device mapping combination is not valid.';

const asBool = (v: boolean | string | undefined) => (typeof v === 'string' ? TRUE.has(v.toLowerCase()) : v === true);

/** Nova's boot_index: an integer, where null and negatives mean "not a boot device". */
function bootIndexOf(v: BdmItem['boot_index']): number | null {
  if (v === undefined || v === null) return null;
  const n = Number(v);
  return n >= 0 ? n : null;
}

/** Boot indexes must be 0, 1, 2… with nothing missing (Nova's _subsequent_list). */
function assertBootSequence(indexes: number[]): void {
  const sorted = [...indexes].sort((a, b) => a - b);
  if (sorted[0] !== 0 || sorted.some((n, i) => n !== i)) throw invalid(BAD_SEQUENCE);
}

/** The checks of one item that need no other service; returns null for the image root Nova's clients add. */
function parseItem(req: FastifyRequest, m: BdmItem, imageRef: string | undefined): (PlannedBdm & { rootImage?: false }) | { rootImage: true } {
  if (m.tag !== undefined && !atLeast(req, 42)) throw new BadRequest("Invalid input for field/attribute block_device_mapping_v2. Additional properties are not allowed ('tag' was unexpected)");
  if (m.volume_type !== undefined && !atLeast(req, 67)) throw new BadRequest("Invalid input for field/attribute block_device_mapping_v2. Additional properties are not allowed ('volume_type' was unexpected)");
  const source = m.source_type;
  if (!source) throw invalid('source_type is required.');
  const destination = m.destination_type ?? (source === 'blank' ? 'local' : 'volume');
  if (source === 'blank' && m.uuid) throw invalid('Invalid device UUID.');
  if (source !== 'blank' && !m.uuid) throw invalid('Missing device UUID.');
  const bootIndex = bootIndexOf(m.boot_index);
  if (destination === 'local') {
    // novaclient sends the image it boots from as an image → local mapping at boot index 0: that is the root disk.
    if (source === 'image' && imageRef && m.uuid === imageRef && bootIndex === 0) return { rootImage: true };
    if (source !== 'blank') throw invalid(`Mapping ${source} to local is not supported.`);
    if (bootIndex !== null) throw invalid(BAD_SEQUENCE);
  }
  const size = m.volume_size === undefined ? null : Number(m.volume_size);
  if (source === 'blank' && destination === 'volume' && !size) throw invalid("Blank volumes (source: 'blank', dest: 'volume') need to have non-zero size.");
  return {
    sourceType: source, destinationType: destination, sourceId: source === 'image' || source === 'snapshot' ? m.uuid! : null, volumeId: source === 'volume' ? m.uuid! : null,
    bootIndex, volumeSize: source === 'volume' ? null : size, deleteOnTermination: asBool(m.delete_on_termination),
    deviceName: m.device_name ?? '', guestFormat: m.guest_format ?? null, diskBus: m.disk_bus ?? null, deviceType: m.device_type ?? null, tag: m.tag ?? null,
    volumeType: m.volume_type ?? null,
  };
}

/** Root on /dev/vda (as Nova's libvirt driver names it), the rest on what they asked for or the next free name. */
function assignDeviceNames(mappings: PlannedBdm[], flavor: Flavor): void {
  const taken = ['/dev/vda'];
  // The ephemeral and swap disks follow the root disk (the metadata service names them so): the local ones asked
  // for, else the flavor's.
  const local = mappings.filter((m) => m.destinationType === 'local');
  const ephemeral = local.find((m) => !isSwap(m));
  const swap = local.find(isSwap);
  if (ephemeral || flavor.ephemeral > 0) taken.push(nextDeviceName(taken));
  if (ephemeral) ephemeral.deviceName = taken[taken.length - 1];
  if (swap || flavor.swap > 0) taken.push(nextDeviceName(taken));
  if (swap) swap.deviceName = taken[taken.length - 1];
  for (const m of mappings) {
    if (m.destinationType === 'local') continue;
    if (m.bootIndex === 0) { m.deviceName = '/dev/vda'; continue; }
    const asked = m.deviceName && !m.deviceName.startsWith('/dev/') ? `/dev/${m.deviceName}` : m.deviceName;
    m.deviceName = asked && !taken.includes(asked) ? asked : nextDeviceName(taken);
    taken.push(m.deviceName);
  }
}

async function checkVolumeSource(volumes: BlockStorageClient, auth: CallAuth, m: PlannedBdm): Promise<void> {
  const volume = await volumes.getVolume(m.volumeId!, auth);
  if (!volume) throw invalid(`failed to get volume ${m.volumeId}.`);
  if (volume.status !== 'available' && !(volume.multiattach && volume.status === 'in-use')) {
    throw new BadRequest(`Invalid volume: volume ${m.volumeId} status must be available, but is ${volume.status}`);
  }
  if (m.bootIndex === 0 && volume.bootable !== 'true') throw new BadRequest(`Block Device ${m.volumeId} is not bootable.`);
}

async function checkSnapshotSource(volumes: BlockStorageClient, auth: CallAuth, m: PlannedBdm): Promise<void> {
  const snapshot = await volumes.getSnapshot(m.sourceId!, auth);
  if (!snapshot) throw invalid(`failed to get snapshot ${m.sourceId}.`);
  if (snapshot.status !== 'available') throw new BadRequest(`Invalid snapshot: snapshot ${m.sourceId} status must be available, but is ${snapshot.status}`);
  if (m.volumeSize !== null && m.volumeSize < snapshot.size) throw invalid(`volume_size ${m.volumeSize} is smaller than snapshot ${m.sourceId} (${snapshot.size} GiB).`);
}

async function checkImageSource(deps: ComputeApiDeps, req: FastifyRequest, m: PlannedBdm, flavor: Flavor): Promise<void> {
  const images = await deps.image();
  if (!images) throw new BadRequest('The Image service is not available in this cloud.');
  const image = await images.getImage(m.sourceId!, { token: req.ctx.authToken ?? '', serviceToken: await deps.serviceToken(), globalRequestId: req.ctx.globalRequestId });
  if (!image) throw imageNotFound(m.sourceId!);
  if (image.status !== 'active') throw new BadRequest(`Image ${m.sourceId} is not active.`);
  const needed = Math.max(image.min_disk ?? 0, Math.ceil((image.virtual_size ?? image.size ?? 0) / GiB), 1);
  if (m.volumeSize === null) m.volumeSize = needed;
  if (m.volumeSize < (image.min_disk ?? 0)) {
    throw new BadRequest(`Volume is smaller than the minimum size specified in image metadata. Volume size is ${m.volumeSize * GiB} bytes, minimum size is ${image.min_disk * GiB} bytes.`);
  }
  if (m.volumeSize < needed) throw new BadRequest(`Size of specified image ${m.sourceId} is larger than volume size ${m.volumeSize} GiB.`);
  if (m.bootIndex === 0 && flavor.ram < (image.min_ram ?? 0)) throw new BadRequest('Flavor\'s memory is too small for requested image.');
}

/** The image (undefined when missing: checkImage then says so) and the mappings it defines. */
async function mappingsOfImage(deps: ComputeApiDeps, req: FastifyRequest, imageRef: string): Promise<{ image?: ImageRecord; defined: BdmItem[] }> {
  const images = await deps.image();
  const image = images && await images.getImage(imageRef, { token: req.ctx.authToken ?? '', serviceToken: await deps.serviceToken(), globalRequestId: req.ctx.globalRequestId });
  const defined = imageDefinedBdms(image);
  if (defined.length && image?.status !== 'active') throw new BadRequest(`Image ${imageRef} is not active.`);
  return { image, defined };
}

/**
 * Checks block_device_mapping_v2 against imageRef and the flavor and returns what to record; throws a 400 (nothing
 * changed) on anything Nova refuses. Without mappings, `checkImage` decides about the image alone.
 */
export async function planBlockDevices(deps: ComputeApiDeps, req: FastifyRequest, o: {
  imageRef: string | undefined; items: BdmItem[] | undefined; flavor: Flavor; maxCount: number; checkImage(imageRef: string, fetched?: ImageRecord): Promise<void>;
}): Promise<BootPlan> {
  const imageRef = o.imageRef || undefined;
  // An image made by createImage of a volume-backed server defines the mappings (its boot volume among them).
  const ofImage = imageRef ? await mappingsOfImage(deps, req, imageRef) : { defined: [] };
  const items = mergeImageBdms(ofImage.defined, o.items ?? []);
  const parsed = items.map((m) => parseItem(req, m, imageRef));
  const mappings = parsed.filter((p): p is PlannedBdm => !p.rootImage);
  checkLocalDisks(mappings.filter((m) => m.destinationType === 'local'), o.flavor);
  const bootIndexes = mappings.map((m) => m.bootIndex).filter((i): i is number => i !== null);
  const volumeBacked = bootIndexes.includes(0);
  if (!volumeBacked && !imageRef) throw invalid(BAD_SEQUENCE);
  // A server from an image has that image as boot device 0; the mappings add to it.
  assertBootSequence(volumeBacked ? bootIndexes : [0, ...bootIndexes]);
  if (!mappings.length) {
    await o.checkImage(imageRef!, ofImage.image);
    return { imageRef: imageRef!, mappings };
  }
  if (o.maxCount > 1 && mappings.some((m) => m.volumeId)) throw new BadRequest('Cannot attach one or more volumes to multiple instances');
  const volumeIds = mappings.map((m) => m.volumeId).filter(Boolean);
  if (new Set(volumeIds).size !== volumeIds.length) throw invalid('a volume may be mapped only once.');
  if (!volumeBacked) await o.checkImage(imageRef!, ofImage.image);
  const volumes = await deps.volumes();
  if (!volumes && mappings.some((m) => m.destinationType === 'volume')) throw new BadRequest('Block Storage is not available in this cloud.');
  const auth = { userToken: req.ctx.authToken ?? '', serviceToken: await deps.serviceToken(), globalRequestId: req.ctx.globalRequestId };
  for (const m of mappings) {
    if (!volumes) break;
    if (m.sourceType === 'volume') await checkVolumeSource(volumes, auth, m);
    else if (m.sourceType === 'snapshot') await checkSnapshotSource(volumes, auth, m);
    else if (m.sourceType === 'image') await checkImageSource(deps, req, m, o.flavor);
  }
  assignDeviceNames(mappings, o.flavor);
  return { imageRef: volumeBacked ? '' : imageRef!, mappings };
}
