// Block storage's policy rules as data, with Cinder's rule names and secure-RBAC defaults, so an operator's Cinder
// overrides apply unchanged: readers read, members write in their project, admins manage types, quotas and states.
import { RULE, baseRules } from '#lib/policy/index.ts';
import type { PolicyRule } from '#lib/policy/index.ts';

const ADMIN = 'rule:context_is_admin';
const READER = RULE.projectReaderOrAdmin;
const MEMBER = RULE.projectMemberOrAdmin;
const ANY = '@';

const r = (name: string, check: string, description: string): PolicyRule => ({ name, check, description });

export const blockStoragePolicy: PolicyRule[] = [
  ...baseRules,
  r('volume:create', MEMBER, 'Create a volume.'),
  // Compute's service user reads an extended volume's new size for the guest (Nova's volume-extended event).
  r('volume:get', `${READER} or ${RULE.serviceRole}`, 'Show a volume.'),
  r('volume:get_all', READER, 'List volumes.'),
  r('volume:update', MEMBER, 'Update a volume\'s name or description.'),
  r('volume:delete', MEMBER, 'Delete a volume.'),
  r('volume:extend', MEMBER, 'Extend a volume.'),
  r('volume_extension:volume_admin_actions:migrate_volume', ADMIN, 'Move a volume to another backend (os-migrate_volume).'),
  r('volume:extend_attached_volume', MEMBER, 'Extend a volume while it is attached (3.42+).'),
  r('volume:get_all_tenants', ADMIN, 'List volumes of every project (all_tenants).'),
  r('volume_extension:volume_host_attribute', ADMIN, 'See the os-vol-host-attr:host of volumes.'),
  r('volume_extension:volume_actions:upload_image', MEMBER, 'Upload a volume to a new image.'),
  r('volume:retype', MEMBER, 'Change a volume\'s type (without moving its data).'),
  r('volume:update_readonly_flag', MEMBER, 'Set a volume read-only or read-write.'),
  r('volume_extension:volume_actions:set_bootable', MEMBER, 'Mark a volume bootable or not.'),
  r('volume_extension:volume_admin_actions:reset_status', ADMIN, 'Reset a volume\'s status.'),
  r('volume_extension:volume_admin_actions:force_delete', ADMIN, 'Delete a volume whatever its status.'),
  r('volume_extension:snapshot_admin_actions:reset_status', ADMIN, 'Reset a snapshot\'s status.'),
  r('volume_extension:volume_actions:attach', MEMBER, 'The legacy attach protocol: reserve, attach, detach, connections.'),
  r('volume:get_volume_metadata', READER, 'Read a volume\'s metadata.'),
  r('volume:update_volume_metadata', MEMBER, 'Set or replace a volume\'s metadata.'),
  r('volume:delete_volume_metadata', MEMBER, 'Delete a volume metadata key.'),
  r('volume:create_snapshot', MEMBER, 'Create a snapshot.'),
  r('volume:get_snapshot', READER, 'Show a snapshot.'),
  r('volume:get_all_snapshots', READER, 'List snapshots.'),
  r('volume:update_snapshot', MEMBER, 'Update a snapshot.'),
  r('volume:delete_snapshot', MEMBER, 'Delete a snapshot.'),
  r('volume:get_snapshot_metadata', READER, 'Read a snapshot\'s metadata.'),
  r('volume:update_snapshot_metadata', MEMBER, 'Set a snapshot\'s metadata.'),
  r('volume:delete_snapshot_metadata', MEMBER, 'Delete a snapshot metadata key.'),
  r('volume:attachment_create', MEMBER, 'Create an attachment (Compute, with the user\'s token).'),
  r('volume:attachment_update', MEMBER, 'Update an attachment with a connector.'),
  r('volume:attachment_complete', MEMBER, 'Mark an attachment complete.'),
  r('volume:attachment_delete', MEMBER, 'Delete an attachment.'),
  r('volume:attachment_get', READER, 'Show or list attachments.'),
  r('volume:create_transfer', MEMBER, 'Offer a volume to another project.'),
  r('volume:get_transfer', READER, 'Show a transfer of the project.'),
  r('volume:get_all_transfers', READER, 'List the project\'s transfers.'),
  r('volume:delete_transfer', MEMBER, 'Cancel a transfer.'),
  r('volume:accept_transfer', RULE.projectMember, 'Accept a transfer into the caller\'s project (with its auth key).'),
  r('backup:create', MEMBER, 'Back a volume up.'),
  r('backup:get', READER, 'Show a backup.'),
  r('backup:get_all', READER, 'List backups.'),
  r('backup:delete', MEMBER, 'Delete a backup.'),
  r('backup:restore', MEMBER, 'Restore a backup to a new or existing volume.'),
  r('volume_extension:qos_specs_manage', ADMIN, 'Create, read, update, delete and associate QoS specs.'),
  r('volume_extension:types_manage', ADMIN, 'Create, update and delete volume types and their extra specs.'),
  r('volume_extension:type_get', ANY, 'Show a volume type the caller can see.'),
  r('volume_extension:type_get_all', ANY, 'List the volume types the caller can see.'),
  r('volume_extension:access_types_extra_specs', ADMIN, 'See every extra spec (others see only user-visible ones).'),
  r('volume_extension:volume_type_access', ADMIN, 'List the projects a private type is shared with.'),
  r('volume_extension:volume_type_access:addProjectAccess', ADMIN, 'Share a private type with a project.'),
  r('volume_extension:volume_type_access:removeProjectAccess', ADMIN, 'Stop sharing a private type.'),
  r('volume_extension:quotas:show', READER, 'Show a project\'s quotas.'),
  r('volume_extension:quotas:update', ADMIN, 'Update a project\'s quotas.'),
  r('volume_extension:quotas:delete', ADMIN, 'Reset a project\'s quotas to the defaults.'),
  r('limits_extension:used_limits', READER, 'Show the project\'s limits and usage.'),
  r('volume_extension:availability_zone_list', ANY, 'List availability zones.'),
  r('volume_extension:services:index', ADMIN, 'List the block storage services.'),
  r('volume_extension:services:update', ADMIN, 'Enable or disable a block storage service.'),
];
