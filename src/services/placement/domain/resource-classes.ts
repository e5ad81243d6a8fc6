// Resource classes: the standard ones every Placement knows (os-resource-classes), and the rules for custom names.

/** The standard resource classes, in os-resource-classes' order. They cannot be created, renamed or deleted. */
export const STANDARD_RESOURCE_CLASSES: readonly string[] = [
  'VCPU', 'MEMORY_MB', 'DISK_GB', 'PCI_DEVICE', 'SRIOV_NET_VF', 'NUMA_SOCKET', 'NUMA_CORE', 'NUMA_THREAD',
  'NUMA_MEMORY_MB', 'IPV4_ADDRESS', 'VGPU', 'VGPU_DISPLAY_HEAD', 'NET_BW_EGR_KILOBIT_PER_SEC',
  'NET_BW_IGR_KILOBIT_PER_SEC', 'PCPU', 'MEM_ENCRYPTION_CONTEXT', 'FPGA', 'PGPU',
  'NET_PACKET_RATE_KILOPACKET_PER_SEC', 'NET_PACKET_RATE_EGR_KILOPACKET_PER_SEC', 'NET_PACKET_RATE_IGR_KILOPACKET_PER_SEC',
];

/** A resource class or trait name as Placement's schemas accept it anywhere: upper-case letters, digits, underscore. */
export const NAME_PATTERN = '^[A-Z0-9_]+$';
/** What a name an operator creates must look like: CUSTOM_ then the same alphabet. */
export const CUSTOM_NAME_PATTERN = '^CUSTOM_[A-Z0-9_]+$';
export const MAX_NAME_LENGTH = 255;

const CUSTOM = new RegExp(CUSTOM_NAME_PATTERN);

/** True for a well-formed custom resource class or trait name. */
export function isCustomName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && CUSTOM.test(name);
}
