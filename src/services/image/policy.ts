// The Image service's policy rules as data, with Glance's secure-RBAC defaults and Glance's rule names, so an
// operator's Glance policy overrides apply unchanged. Targets carry the image's owner as `project_id` (and `owner`),
// its `visibility`, and `member_id` (the caller's project when it is a member of the image).
import { baseRules } from '#lib/policy/index.ts';
import type { PolicyRule } from '#lib/policy/index.ts';

const ADMIN = 'role:admin';
const ADMIN_OR_MEMBER = `${ADMIN} or (role:member and project_id:%(project_id)s)`;
const ADMIN_OR_READER = `${ADMIN} or (role:reader and project_id:%(project_id)s)`;
const SEES_IMAGE = "project_id:%(project_id)s or project_id:%(member_id)s or 'community':%(visibility)s or 'public':%(visibility)s or 'shared':%(visibility)s";
const ADMIN_OR_READER_GET_IMAGE = `${ADMIN} or (role:reader and (${SEES_IMAGE}))`;
const ADMIN_OR_MEMBER_DOWNLOAD = `${ADMIN} or (role:member and (${SEES_IMAGE}))`;
const ADMIN_OR_SHARED_MEMBER = `${ADMIN} or (role:member and project_id:%(member_id)s)`;
const ADMIN_OR_READER_OR_SHARED_MEMBER = `${ADMIN} or (role:reader and (project_id:%(project_id)s or project_id:%(member_id)s))`;

const r = (name: string, check: string, description: string): PolicyRule => ({ name, check, description });

export const imagePolicy: PolicyRule[] = [
  ...baseRules,
  r('add_image', `${ADMIN} or (role:member and project_id:%(project_id)s and project_id:%(owner)s)`, 'Create an image owned by the caller\'s project (an admin: by any project).'),
  r('get_image', ADMIN_OR_READER_GET_IMAGE, 'Show an image the caller can see.'),
  r('get_images', ADMIN_OR_READER, 'List images; the target is the caller\'s project.'),
  r('modify_image', ADMIN_OR_MEMBER, 'Update an image of the caller\'s project.'),
  r('publicize_image', ADMIN, 'Make an image public.'),
  r('communitize_image', ADMIN_OR_MEMBER, 'Make an image community.'),
  r('delete_image', ADMIN_OR_MEMBER, 'Delete an image.'),
  r('upload_image', ADMIN_OR_MEMBER, 'Upload an image\'s data.'),
  r('download_image', ADMIN_OR_MEMBER_DOWNLOAD, 'Download an image\'s data.'),
  r('deactivate', ADMIN, 'Deactivate an image: its data cannot be downloaded.'),
  r('reactivate', ADMIN, 'Reactivate a deactivated image.'),
  r('add_member', ADMIN_OR_MEMBER, 'Share an image with a project.'),
  r('delete_member', ADMIN_OR_MEMBER, 'Stop sharing an image with a project.'),
  r('get_member', ADMIN_OR_READER_OR_SHARED_MEMBER, 'Show an image member.'),
  r('get_members', ADMIN_OR_READER_OR_SHARED_MEMBER, 'List image members.'),
  r('modify_member', ADMIN_OR_SHARED_MEMBER, 'Accept or reject an image shared with the caller\'s project.'),
  r('get_image_location', ADMIN_OR_READER, 'Read where an image\'s data is stored (locations are never shown; DELETE /v2/stores/{store_id}/{image_id} checks it).'),
  r('delete_image_location', ADMIN, 'Remove an image\'s copy from one store (DELETE /v2/stores/{store_id}/{image_id}).'),
  r('copy_image', ADMIN, 'Copy an active image\'s data into further stores (the copy-image import method).'),
  r('stores_info_detail', ADMIN, 'See the stores\' types and settings (GET /v2/info/stores/detail).'),
];
