// POST/GET/HEAD/DELETE /v3/auth/tokens: issue, validate, check and revoke tokens.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '#lib/errors.ts';
import type { IdentityApiDeps } from './deps.ts';
import { authorize } from './deps.ts';
import type { ValidatedToken } from '../provider/token-provider.ts';
import { authRequestSchema } from './schemas/auth.ts';
import type { AuthIdentity } from '../provider/authenticate.ts';

interface AuthBody {
  auth: { identity: AuthIdentity; scope?: Record<string, unknown> | 'unscoped' };
}

// Validation answers the same document for a token until Identity's data changes (the provider then derives a new
// ValidatedToken), so its JSON text is kept with it rather than serialised on every GET.
const rendered = new WeakMap<ValidatedToken, { full?: string; nocatalog?: string }>();

function tokenJson(v: ValidatedToken, req: FastifyRequest): string {
  const nocatalog = (req.query as Record<string, unknown>).nocatalog !== undefined;
  const texts = rendered.get(v) ?? {};
  rendered.set(v, texts);
  if (nocatalog) {
    const { catalog: _catalog, ...rest } = v.body;
    return (texts.nocatalog ??= JSON.stringify({ token: rest }));
  }
  return (texts.full ??= JSON.stringify({ token: v.body }));
}

export function registerAuthTokens(app: FastifyInstance, deps: IdentityApiDeps): void {
  app.post('/v3/auth/tokens', { config: { public: true }, schema: { body: authRequestSchema } }, async (req, reply) => {
    const { auth } = req.body as AuthBody;
    // As Keystone: every method listed needs its section, or the request is malformed (400, not 401).
    const missing = auth.identity.methods.find((m) => !(m in auth.identity));
    if (missing) throw new BadRequest(`Expecting to find ${missing} in identity. The server could not comply with the request since it is either malformed or otherwise incorrect.`);
    const { token, validated } = await deps.tokens.issue(auth.identity, auth.scope as never);
    return reply.code(201).header('x-subject-token', token).type('application/json').send(tokenJson(validated, req));
  });

  async function subject(req: FastifyRequest): Promise<ValidatedToken> {
    const token = req.headers['x-subject-token'];
    if (typeof token !== 'string' || token === '') throw new NotFound('Could not find token: X-Subject-Token header is missing.');
    const v = await deps.tokens.validate(token);
    authorize(deps, req, 'identity:validate_token', { token: { user_id: v.credentials.userId } });
    return v;
  }

  app.get('/v3/auth/tokens', { exposeHeadRoute: false }, async (req, reply) => {
    const v = await subject(req);
    return reply.header('x-subject-token', req.headers['x-subject-token']).type('application/json').send(tokenJson(v, req));
  });
  app.head('/v3/auth/tokens', async (req, reply) => {
    await subject(req);
    return reply.code(200).header('x-subject-token', req.headers['x-subject-token']).send();
  });
  app.delete('/v3/auth/tokens', async (req, reply) => {
    const v = await subject(req);
    authorize(deps, req, 'identity:revoke_token', { token: { user_id: v.credentials.userId } });
    await deps.tokens.revoke(req.headers['x-subject-token'] as string);
    return reply.code(204).send();
  });
}
