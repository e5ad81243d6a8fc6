import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../log.ts';
import { NotFound, type StratusError } from '../errors.ts';
import { createHttpService } from './server.ts';

describe('the shared HTTP layer', () => {
  const app = createHttpService({
    name: 'test', log: silentLogger(), requestIdHeaders: ['x-compute-request-id'],
    renderError: (e: StratusError) => ({ body: { fault: { code: e.status, message: e.message } } }),
  });
  before(async () => {
    app.get('/ids', async (req) => ({ requestId: req.ctx.requestId, globalRequestId: req.ctx.globalRequestId }));
    app.post('/echo', { schema: { body: { type: 'object', required: ['n'], additionalProperties: false, properties: { n: { type: 'integer' } } } } }, async (req) => req.body);
    app.get('/missing', async () => { throw new NotFound('Widget w1 could not be found.'); });
    app.get('/boom', async () => { throw new Error('secret internals'); });
    await app.ready();
  });
  after(() => app.close());

  it('sends a request id on every response, in each configured header', async () => {
    const res = await app.inject({ method: 'GET', url: '/ids' });
    const body = res.json() as { requestId: string; globalRequestId: string };
    assert.match(body.requestId, /^req-[0-9a-f-]{36}$/);
    assert.equal(res.headers['x-openstack-request-id'], body.requestId);
    assert.equal(res.headers['x-compute-request-id'], body.requestId);
    assert.equal(body.globalRequestId, body.requestId, 'without an inbound id, the request is its own global request');
  });

  it('adopts a well-formed inbound X-OpenStack-Request-ID as the global request id and ignores a malformed one', async () => {
    const inbound = 'req-12345678-1234-1234-1234-123456789abc';
    const adopted = (await app.inject({ method: 'GET', url: '/ids', headers: { 'x-openstack-request-id': inbound } })).json() as { requestId: string; globalRequestId: string };
    assert.equal(adopted.globalRequestId, inbound);
    assert.notEqual(adopted.requestId, inbound);
    const ignored = (await app.inject({ method: 'GET', url: '/ids', headers: { 'x-openstack-request-id': 'req-x\nInjected: 1' } })).json() as { requestId: string; globalRequestId: string };
    assert.equal(ignored.globalRequestId, ignored.requestId);
  });

  it('answers malformed JSON, schema violations, unknown routes and typed errors in the service format, and hides unexpected errors', async () => {
    const bad = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"n":' });
    assert.equal(bad.statusCode, 400);
    assert.match((bad.json() as { fault: { message: string } }).fault.message, /not valid JSON/);
    const wrongType = await app.inject({ method: 'POST', url: '/echo', payload: { n: '5' } });
    assert.equal(wrongType.statusCode, 400, 'bodies are not coerced: "5" is not an integer');
    const extra = await app.inject({ method: 'POST', url: '/echo', payload: { n: 5, x: 1 } });
    assert.equal(extra.statusCode, 400);
    assert.match((extra.json() as { fault: { message: string } }).fault.message, /'x' was unexpected/);
    assert.equal((await app.inject({ method: 'GET', url: '/nowhere' })).statusCode, 404);
    const missing = await app.inject({ method: 'GET', url: '/missing' });
    assert.deepEqual(missing.json(), { fault: { code: 404, message: 'Widget w1 could not be found.' } });
    const boom = await app.inject({ method: 'GET', url: '/boom' });
    assert.equal(boom.statusCode, 500);
    assert.doesNotMatch(boom.body, /secret internals/);
  });
});
