// Image members in the database: which projects an image is shared with, and whether they accepted it.
import type { Member, MemberStatus } from '../domain/image-model.ts';
import type { ImageDb, ImageMemberRow } from './tables.ts';

const toMember = (r: ImageMemberRow): Member => ({
  imageId: r.image_id, memberId: r.member, status: r.status as MemberStatus, createdAt: r.created_at, updatedAt: r.updated_at,
});

export async function getMember(db: ImageDb, imageId: string, memberId: string): Promise<Member | undefined> {
  const r = await db.selectFrom('image_members').selectAll().where('image_id', '=', imageId).where('member', '=', memberId).executeTakeFirst();
  return r ? toMember(r) : undefined;
}

export async function listMembers(db: ImageDb, imageId: string): Promise<Member[]> {
  const rows = await db.selectFrom('image_members').selectAll().where('image_id', '=', imageId).orderBy('created_at').orderBy('member').execute();
  return rows.map(toMember);
}

/** Inserts a pending member; a duplicate is a unique violation the caller turns into 409. */
export async function insertMember(db: ImageDb, m: Member): Promise<void> {
  await db.insertInto('image_members').values({ image_id: m.imageId, member: m.memberId, status: m.status, created_at: m.createdAt, updated_at: m.updatedAt }).execute();
}

export async function setMemberStatus(db: ImageDb, imageId: string, memberId: string, status: MemberStatus, at: string): Promise<void> {
  await db.updateTable('image_members').set({ status, updated_at: at }).where('image_id', '=', imageId).where('member', '=', memberId).execute();
}

export async function deleteMember(db: ImageDb, imageId: string, memberId: string): Promise<boolean> {
  const r = await db.deleteFrom('image_members').where('image_id', '=', imageId).where('member', '=', memberId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function countMembers(db: ImageDb, imageId: string): Promise<number> {
  const r = await db.selectFrom('image_members').select((eb) => eb.fn.countAll().as('n')).where('image_id', '=', imageId).executeTakeFirst();
  return Number(r?.n ?? 0);
}
