// Nova's three state machines of a server (vm_state, task_state, power_state) and the one `status` users see,
// derived from them exactly as Nova's API does.

export const VmState = {
  building: 'building', active: 'active', stopped: 'stopped', paused: 'paused', suspended: 'suspended',
  error: 'error', deleted: 'deleted', softDeleted: 'soft-delete', shelved: 'shelved', shelvedOffloaded: 'shelved_offloaded',
  rescued: 'rescued', resized: 'resized',
} as const;
export type VmState = (typeof VmState)[keyof typeof VmState];

export const TaskState = {
  scheduling: 'scheduling', networking: 'networking', blockDeviceMapping: 'block_device_mapping', spawning: 'spawning',
  deleting: 'deleting', poweringOff: 'powering-off', poweringOn: 'powering-on', rebooting: 'rebooting',
  rebootingHard: 'rebooting_hard', rebootPending: 'reboot_pending', rebootStarted: 'reboot_started',
  rebootPendingHard: 'reboot_pending_hard', rebootStartedHard: 'reboot_started_hard',
  pausing: 'pausing', unpausing: 'unpausing', suspending: 'suspending', resuming: 'resuming',
  rebuilding: 'rebuilding', resizePrep: 'resize_prep', resizeMigrating: 'resize_migrating', resizeMigrated: 'resize_migrated',
  resizeFinish: 'resize_finish', resizeReverting: 'resize_reverting', resizeConfirming: 'resize_confirming',
  imageSnapshot: 'image_snapshot', imagePendingUpload: 'image_pending_upload', imageUploading: 'image_uploading',
  shelving: 'shelving', shelvingImagePendingUpload: 'shelving_image_pending_upload', shelvingImageUploading: 'shelving_image_uploading',
  shelvingOffloading: 'shelving_offloading', unshelving: 'unshelving',
  rescuing: 'rescuing', unrescuing: 'unrescuing', migrating: 'migrating',
} as const;
export type TaskState = (typeof TaskState)[keyof typeof TaskState];

/** libvirt's numbering, which Nova exposes as OS-EXT-STS:power_state. */
export const PowerState = { nostate: 0, running: 1, paused: 3, shutdown: 4, crashed: 6, suspended: 7 } as const;
export type PowerState = (typeof PowerState)[keyof typeof PowerState];

const BY_VM_STATE: Record<string, string> = {
  building: 'BUILD', active: 'ACTIVE', stopped: 'SHUTOFF', paused: 'PAUSED', suspended: 'SUSPENDED', error: 'ERROR',
  deleted: 'DELETED', 'soft-delete': 'SOFT_DELETED', shelved: 'SHELVED', shelved_offloaded: 'SHELVED_OFFLOADED',
  rescued: 'RESCUE', resized: 'VERIFY_RESIZE',
};

const RESIZING: Record<string, string> = { resize_prep: 'RESIZE', resize_migrating: 'RESIZE', resize_migrated: 'RESIZE', resize_finish: 'RESIZE' };

// Task states that change what a server in a vm_state shows.
const BY_TASK: Record<string, Record<string, string>> = {
  active: {
    rebooting: 'REBOOT', reboot_pending: 'REBOOT', reboot_started: 'REBOOT',
    rebooting_hard: 'HARD_REBOOT', reboot_pending_hard: 'HARD_REBOOT', reboot_started_hard: 'HARD_REBOOT',
    rebuilding: 'REBUILD', ...RESIZING, migrating: 'MIGRATING',
  },
  paused: { migrating: 'MIGRATING' },
  stopped: { rebuilding: 'REBUILD', ...RESIZING },
  error: { rebuilding: 'REBUILD' },
  resized: { resize_reverting: 'REVERT_RESIZE' },
};

/** The API status of a server (Nova's status_from_state). */
export function statusOf(vmState: string, taskState: string | null): string {
  if (taskState === TaskState.deleting && vmState !== VmState.error) return 'DELETED';
  const byTask = taskState ? BY_TASK[vmState]?.[taskState] : undefined;
  return byTask ?? BY_VM_STATE[vmState] ?? 'UNKNOWN';
}

/** The vm_states a status filter (`?status=ACTIVE`) selects. */
export function vmStatesOf(status: string): string[] {
  return Object.entries(BY_VM_STATE).filter(([, s]) => s === status.toUpperCase()).map(([v]) => v);
}
