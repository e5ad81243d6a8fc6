// GET /info: the cluster's capabilities and limits, as Swift publishes them (clients read max_file_size and the
// listing limits from here); and GET /healthcheck.
import type { FastifyInstance } from 'fastify';
import { CONSTRAINTS } from '../domain/names.ts';
import { TEMPURL_METHODS } from '../domain/tempurl.ts';
import type { ProxySettings } from './deps.ts';

export function registerInfo(app: FastifyInstance, settings: ProxySettings): void {
  app.get('/info', { config: { public: true } }, async (_req, reply) => reply.type('application/json; charset=utf-8').send({
    swift: {
      version: '2.30.0', strict_cors_mode: true, policies: [{ name: 'Policy-0', aliases: 'Policy-0', default: true }],
      ...CONSTRAINTS, max_file_size: settings.maxFileSize, container_listing_limit: settings.listingLimit, account_listing_limit: settings.listingLimit,
      allow_account_management: false, account_autocreate: true,
    },
    container_quotas: {},
    tempurl: { methods: [...TEMPURL_METHODS], allowed_digests: ['sha1', 'sha256', 'sha512'], incoming_remove_headers: [], incoming_allow_headers: [], outgoing_remove_headers: [], outgoing_allow_headers: [] },
  }));
  app.get('/healthcheck', { config: { public: true } }, async (_req, reply) => reply.type('text/plain').send('OK'));
}
