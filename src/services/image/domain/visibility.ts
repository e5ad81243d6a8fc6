// Who sees an image, after Glance's is_image_visible: admins everything, everyone public and community images,
// a project its own images and shared images it is a member of (whatever the member status).
import type { Image, MemberStatus } from './image-model.ts';

export interface Viewer {
  /** The caller's project; undefined for a token without a project scope. */
  projectId?: string;
  isAdmin: boolean;
}

/** `membership` is the caller's project's membership of the image, if any. */
export function canSee(image: Pick<Image, 'owner' | 'visibility'>, viewer: Viewer, membership?: { status: MemberStatus }): boolean {
  if (viewer.isAdmin || image.owner === null) return true;
  if (image.visibility === 'public' || image.visibility === 'community') return true;
  if (viewer.projectId === undefined) return false;
  if (image.owner === viewer.projectId) return true;
  return image.visibility === 'shared' && membership !== undefined;
}
