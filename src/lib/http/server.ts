// The HTTP layer every service shares: Fastify with request ids, strict JSON-schema validation and one error handler.
import Fastify, { LogController } from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Ajv } from 'ajv';
import type { Logger } from '../log.ts';
import { acceptGlobalRequestId, newRequestId } from '../context.ts';
import type { RequestContext } from '../context.ts';
import { BadRequest, NotFound, MethodNotAllowed, StratusError, UnsupportedMediaType, isStratusError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    ctx: RequestContext;
  }
  interface FastifyContextConfig {
    /** The route needs no token (version documents, token issue). */
    public?: boolean;
  }
}

/** How a service renders an error: OpenStack services each have their own body shape (Glance's also depends on the
 * request's Accept header, as webob negotiates it). */
export type ErrorRenderer = (err: StratusError, req?: { accept?: string }) => { body: unknown; headers?: Record<string, string>; contentType?: string };

export interface HttpServiceOptions {
  name: string;
  log: Logger;
  renderError: ErrorRenderer;
  /** Extra response headers carrying the request id (compute sends x-compute-request-id too). */
  requestIdHeaders?: string[];
  bodyLimit?: number;
}

// Bodies are validated strictly (no coercion, no silent removal); query strings and params are coerced from text.
const bodyAjv = new Ajv({ allErrors: false, removeAdditional: false, useDefaults: true, coerceTypes: false, strict: false });
const queryAjv = new Ajv({ allErrors: false, removeAdditional: false, useDefaults: true, coerceTypes: 'array', strict: false });

function describeValidation(err: { validation?: unknown[]; validationContext?: string; message: string }): string {
  const first = (err.validation?.[0] ?? {}) as { instancePath?: string; message?: string; params?: Record<string, unknown> };
  const where = err.validationContext === 'querystring' ? 'query' : err.validationContext ?? 'body';
  const path = first.instancePath ? `${first.instancePath.slice(1).replaceAll('/', '.')}` : '';
  if (first.params && 'additionalProperty' in first.params) {
    return `Invalid input for field/attribute ${path || where}. Additional properties are not allowed ('${String(first.params.additionalProperty)}' was unexpected)`;
  }
  if (first.params && 'missingProperty' in first.params) {
    return `Invalid input for field/attribute ${path || where}. '${String(first.params.missingProperty)}' is a required property`;
  }
  return `Invalid input for field/attribute ${path || where}. ${first.message ?? err.message}`;
}

export function createHttpService(opts: HttpServiceOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.log.child({ service: opts.name }),
    // A child logger per request costs a few percent of a fast request; build it only when request lines are logged.
    // Error paths log the request id explicitly, so nothing is lost when info is off.
    childLoggerFactory: (logger, bindings, childOpts) => ((logger as unknown as Logger).isLevelEnabled('info') ? logger.child(bindings, childOpts) : logger),
    // Requests are logged once, on completion, by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    genReqId: () => newRequestId(),
    return503OnClosing: true,
    forceCloseConnections: true,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 1024 },
    // Errors raised before routing (a malformed %-escape, an over-long path parameter) get the service's body too.
    frameworkErrors: (error, req, reply) => {
      sendError(reply, opts, new StratusError(error.statusCode ?? 400, 'BadRequest', error.message), req);
    },
  });

  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyAjv : queryAjv).compile(schema));

  app.decorateRequest('ctx', undefined as unknown as RequestContext);
  const idHeaders = ['x-openstack-request-id', ...(opts.requestIdHeaders ?? [])];
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const requestId = req.id;
    const globalRequestId = acceptGlobalRequestId(req.headers['x-openstack-request-id']) ?? requestId;
    req.ctx = { requestId, globalRequestId, log: req.log as unknown as Logger };
    for (const h of idHeaders) reply.header(h, requestId);
  });
  // One line per request at info level; when that level is off the hook is not installed at all (it is on the hot path).
  if (opts.log.isLevelEnabled('info')) app.addHook('onResponse', async (req, reply) => {
    req.log.info({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, globalRequestId: req.ctx?.globalRequestId }, 'request');
  });

  // JSON bodies: malformed JSON is a 400 in the service's format, not Fastify's default body.
  app.removeAllContentTypeParsers();
  const parseJson = (_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new BadRequest('Malformed request body: the body is not valid JSON.'), undefined);
    }
  };
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson);
  app.addContentTypeParser(/^application\/(.*\+json|openstack-.*)$/, { parseAs: 'string' }, parseJson);
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
    if ((body as Buffer).length === 0) return done(null, undefined);
    done(new UnsupportedMediaType(`Content type ${req.headers['content-type'] ?? '(none)'} is not supported.`), undefined);
  });

  app.setNotFoundHandler((req, reply) => {
    sendError(reply, opts, new NotFound(`The resource could not be found.`), req);
  });

  app.setErrorHandler((error: unknown, req, reply) => {
    const e = error as { validation?: unknown[]; validationContext?: string; message: string; statusCode?: number; code?: string };
    if (e.validation) return sendError(reply, opts, new BadRequest(describeValidation(e)), req);
    if (isStratusError(error)) return sendError(reply, opts, error, req);
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, opts, new StratusError(413, 'RequestEntityTooLarge', 'Request is too large.'), req);
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendError(reply, opts, new UnsupportedMediaType('The request content type is not supported.'), req);
    if (e.statusCode === 405) return sendError(reply, opts, new MethodNotAllowed(), req);
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      return sendError(reply, opts, new StratusError(e.statusCode, 'BadRequest', e.message), req);
    }
    req.log.error({ err: error, requestId: req.id }, 'unexpected error');
    return sendError(reply, opts, new StratusError(500, 'InternalServerError',
      'An unexpected error prevented the server from fulfilling your request.'), req);
  });
  return app as unknown as FastifyInstance;
}

function sendError(reply: FastifyReply, opts: HttpServiceOptions, err: StratusError, req: FastifyRequest): FastifyReply {
  if (err.status >= 500) req.log.warn({ code: err.code, message: err.message }, 'request failed');
  const rendered = opts.renderError(err, { accept: req.headers.accept });
  reply.code(err.status);
  for (const [k, v] of Object.entries(rendered.headers ?? {})) reply.header(k, v);
  if (rendered.contentType) reply.type(rendered.contentType);
  return reply.send(rendered.body);
}
