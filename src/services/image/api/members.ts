// /v2/images/{id}/members: the owner shares a `shared` image with projects; each member project accepts or rejects.
import type { FastifyInstance } from 'fastify';
import { BadRequest, Conflict, Forbidden } from '#lib/errors.ts';
import { isUniqueViolation } from '#lib/db/index.ts';
import { MEMBER_STATUSES } from '../domain/image-model.ts';
import type { MemberStatus } from '../domain/image-model.ts';
import { memberNotFound, overQuota } from '../domain/errors.ts';
import { countMembers, deleteMember, getMember, insertMember, listMembers, setMemberStatus } from '../db/members-repo.ts';
import type { ImageApiDeps, Caller, VisibleImage } from './deps.ts';
import { authorize, callerOf, idParam, loadVisible } from './deps.ts';
import { memberView } from './views.ts';

const memberParam = (params: unknown): string => (params as { member_id: string }).member_id;
const now = (): string => new Date().toISOString();

/** The owner's project and admins see every member; a member project sees only its own membership. */
const seesAllMembers = (caller: Caller, v: VisibleImage): boolean => caller.isAdmin || (caller.projectId !== undefined && caller.projectId === v.image.owner);

export function registerMembers(app: FastifyInstance, deps: ImageApiDeps): void {
  app.post('/v2/images/:image_id/members', {
    schema: { body: { type: 'object', required: ['member'], additionalProperties: false, properties: { member: { type: 'string', minLength: 1, maxLength: 255 } } } },
  }, async (req, reply) => {
    const caller = callerOf(deps, req);
    const v = await loadVisible(deps, caller, idParam(req));
    authorize(deps, caller, 'add_member', v.target);
    if (v.image.visibility !== 'shared') throw new Forbidden(`Only shared images have members. Image ${v.image.id} is ${v.image.visibility}.`);
    const quota = deps.settings.memberQuota;
    const count = await countMembers(deps.db, v.image.id);
    if (quota >= 0 && count + 1 > quota) {
      throw overQuota(`The limit has been exceeded on the number of allowed image members for this image. Attempted: ${count + 1}, Maximum: ${quota}`);
    }
    const memberId = (req.body as { member: string }).member;
    const at = now();
    const member = { imageId: v.image.id, memberId, status: 'pending' as const, createdAt: at, updatedAt: at };
    try {
      await insertMember(deps.db, member);
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Member ${memberId} is duplicated for image ${v.image.id}`);
      throw err;
    }
    return reply.code(200).send(memberView(member));
  });

  app.get('/v2/images/:image_id/members', async (req) => {
    const caller = callerOf(deps, req);
    const v = await loadVisible(deps, caller, idParam(req));
    authorize(deps, caller, 'get_members', v.target);
    const members = seesAllMembers(caller, v) ? await listMembers(deps.db, v.image.id) : v.membership ? [v.membership] : [];
    return { members: members.map(memberView), schema: '/v2/schemas/members' };
  });

  app.get('/v2/images/:image_id/members/:member_id', async (req) => {
    const caller = callerOf(deps, req);
    const v = await loadVisible(deps, caller, idParam(req));
    authorize(deps, caller, 'get_member', v.target);
    const memberId = memberParam(req.params);
    const member = seesAllMembers(caller, v) || memberId === caller.projectId ? await getMember(deps.db, v.image.id, memberId) : undefined;
    if (!member) throw memberNotFound(v.image.id, memberId);
    return memberView(member);
  });

  app.put('/v2/images/:image_id/members/:member_id', {
    schema: { body: { type: 'object', required: ['status'], properties: { status: { type: 'string' } } } },
  }, async (req) => {
    const caller = callerOf(deps, req);
    const v = await loadVisible(deps, caller, idParam(req));
    const memberId = memberParam(req.params);
    const member = await getMember(deps.db, v.image.id, memberId);
    if (!member) throw memberNotFound(v.image.id, memberId);
    // Only the member project decides: the policy target's member_id is the membership being changed.
    authorize(deps, caller, 'modify_member', { ...v.target, member_id: memberId });
    const status = (req.body as { status: string }).status;
    if (!(MEMBER_STATUSES as readonly string[]).includes(status)) throw new BadRequest('Incorrect request: Status must be "pending", "accepted" or "rejected".');
    const at = now();
    await setMemberStatus(deps.db, v.image.id, memberId, status as MemberStatus, at);
    return memberView({ ...member, status: status as MemberStatus, updatedAt: at });
  });

  app.delete('/v2/images/:image_id/members/:member_id', async (req, reply) => {
    const caller = callerOf(deps, req);
    const v = await loadVisible(deps, caller, idParam(req));
    authorize(deps, caller, 'delete_member', v.target);
    const memberId = memberParam(req.params);
    if (!(await deleteMember(deps.db, v.image.id, memberId))) throw memberNotFound(v.image.id, memberId);
    return reply.code(204).send();
  });
}
