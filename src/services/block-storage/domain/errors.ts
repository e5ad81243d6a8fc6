// Block storage's errors with Cinder's own message texts (cinder/exception.py), which clients match on.
import { BadRequest, Conflict, NotFound, OverQuota } from '#lib/errors.ts';

export const volumeNotFound = (id: string): NotFound => new NotFound(`Volume ${id} could not be found.`);
export const snapshotNotFound = (id: string): NotFound => new NotFound(`Snapshot ${id} could not be found.`);
export const volumeTypeNotFound = (id: string): NotFound => new NotFound(`Volume type ${id} could not be found.`);
export const volumeTypeNotFoundByName = (name: string): NotFound => new NotFound(`Volume type with name ${name} could not be found.`);
export const volumeTypeExists = (name: string): Conflict => new Conflict(`Volume Type ${name} already exists.`);
export const volumeTypeInUse = (id: string): BadRequest => new BadRequest(`Volume Type ${id} deletion is not allowed with volumes present with the type.`);
export const extraSpecNotFound = (id: string, key: string): NotFound =>
  new NotFound(`Volume Type ${id} has no extra specs with key ${key}.`);
export const typeAccessExists = (id: string, project: string): Conflict =>
  new Conflict(`Volume type access for ${id} / ${project} combination already exists.`);
export const typeAccessNotFound = (id: string, project: string): NotFound =>
  new NotFound(`Volume type access not found for ${id} / ${project} combination.`);
export const attachmentNotFound = (id: string): NotFound =>
  new NotFound(`Volume attachment could not be found with filter: attachment_id = ${id}.`);
export const metadataNotFound = (id: string, key: string): NotFound =>
  new NotFound(`Volume ${id} has no metadata with key ${key}.`);
export const snapshotMetadataNotFound = (id: string, key: string): NotFound =>
  new NotFound(`Snapshot ${id} has no metadata with key ${key}.`);
export const markerNotFound = (marker: string): BadRequest => new BadRequest(`Marker ${marker} could not be found.`);
export const invalidInput = (reason: string): BadRequest => new BadRequest(`Invalid input received: ${reason}`);
export const invalidVolume = (reason: string): BadRequest => new BadRequest(`Invalid volume: ${reason}`);
export const invalidSnapshot = (reason: string): BadRequest => new BadRequest(`Invalid snapshot: ${reason}`);
export const invalidVolumeType = (reason: string): BadRequest => new BadRequest(`Invalid volume type: ${reason}`);
export const invalidAttachment = (reason: string): BadRequest => new BadRequest(`Invalid attachment: ${reason}`);
export const invalidAvailabilityZone = (zone: string): BadRequest =>
  new BadRequest(`Invalid input received: Availability zone '${zone}' is invalid.`);

/** Cinder's VolumeSizeExceedsAvailableQuota (gigabytes) and VolumeLimitExceeded / SnapshotLimitExceeded (counts). */
export const gigabytesOverQuota = (o: { requested: number; quota: number; consumed: number }): OverQuota =>
  new OverQuota(`Requested volume or snapshot exceeds allowed gigabytes quota. Requested ${o.requested}G, quota is ${o.quota}G and ${o.consumed}G has been consumed.`);
export const volumesOverQuota = (allowed: number): OverQuota =>
  new OverQuota(`Maximum number of volumes allowed (${allowed}) exceeded for quota 'volumes'.`);
export const snapshotsOverQuota = (allowed: number): OverQuota =>
  new OverQuota(`Maximum number of snapshots allowed (${allowed}) exceeded for quota 'snapshots'.`);
export const perVolumeSizeExceeded = (size: number, limit: number): BadRequest =>
  new BadRequest(`Volume size ${size}G exceeds the per-volume limit of ${limit}G.`);
export const backupNotFound = (id: string): NotFound => new NotFound(`Backup ${id} could not be found.`);
export const invalidBackup = (reason: string): BadRequest => new BadRequest(`Invalid backup: ${reason}`);
export const backupGigabytesOverQuota = (o: { requested: number; quota: number; consumed: number }): OverQuota =>
  new OverQuota(`Requested backup exceeds allowed Backup gigabytes quota. Requested ${o.requested}G, quota is ${o.quota}G and ${o.consumed}G has been consumed.`);
export const backupsOverQuota = (allowed: number): OverQuota =>
  new OverQuota(`Maximum number of backups allowed (${allowed}) exceeded`);
