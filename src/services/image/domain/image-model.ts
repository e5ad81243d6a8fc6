// What an image is in this service: its fields, the formats and statuses Glance defines, and which attributes
// clients may set, may only read, or may never name.

export const DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'] as const;
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const;
export const STATUSES = ['queued', 'saving', 'active', 'killed', 'deleted', 'uploading', 'importing', 'pending_delete', 'deactivated'] as const;
export const VISIBILITIES = ['community', 'public', 'private', 'shared'] as const;
export const MEMBER_STATUSES = ['pending', 'accepted', 'rejected'] as const;

export type DiskFormat = (typeof DISK_FORMATS)[number];
export type ImageStatus = (typeof STATUSES)[number];
export type Visibility = (typeof VISIBILITIES)[number];
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

export interface Image {
  id: string;
  name: string | null;
  owner: string | null;
  status: ImageStatus;
  visibility: Visibility;
  diskFormat: string | null;
  containerFormat: string | null;
  size: number | null;
  virtualSize: number | null;
  checksum: string | null;
  osHashAlgo: string | null;
  osHashValue: string | null;
  minDisk: number;
  minRam: number;
  protected: boolean;
  osHidden: boolean;
  /** Where staged data waits (`uploading` and `importing` images only, in the staging store); never shown to clients. */
  stagedLocation: string | null;
  /** The copies of the data, one per store, in the order reads try them (the first upload first); never shown. */
  locations: ImageLocation[];
  createdAt: string;
  updatedAt: string;
  properties: Record<string, string>;
  tags: string[];
}

/** One copy of an image's data: the store holding it and that store's location of it. */
export interface ImageLocation {
  store: string;
  url: string;
}

export interface Member {
  imageId: string;
  memberId: string;
  status: MemberStatus;
  createdAt: string;
  updatedAt: string;
}

/** Attributes a client may set, by their wire names, with the Image field each maps to. */
export const WRITABLE = {
  name: 'name', visibility: 'visibility', protected: 'protected', os_hidden: 'osHidden', min_ram: 'minRam', min_disk: 'minDisk',
  disk_format: 'diskFormat', container_format: 'containerFormat', owner: 'owner', tags: 'tags',
} as const satisfies Record<string, keyof Image>;
export type WritableName = keyof typeof WRITABLE;

/** Attributes the service computes: naming one in a create or patch is refused with 403, as Glance does. */
export const READ_ONLY = new Set(['created_at', 'updated_at', 'status', 'checksum', 'size', 'virtual_size', 'direct_url', 'self', 'file', 'schema', 'id', 'os_hash_algo', 'os_hash_value', 'stores']);
/** Names that are neither attributes nor custom properties. */
export const RESERVED = new Set(['location', 'deleted', 'deleted_at']);
/** Glance keeps properties under this prefix for itself. */
export const RESERVED_PREFIX = 'os_glance';

export const isReserved = (name: string): boolean => RESERVED.has(name) || name.startsWith(RESERVED_PREFIX);
export const isWritable = (name: string): name is WritableName => Object.hasOwn(WRITABLE, name);
