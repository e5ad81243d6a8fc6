// GET /info: the cluster's capabilities and limits, as Swift publishes them (clients read max_file_size, the
// listing limits and whether bulk delete is there from here); and GET /healthcheck.
import type { FastifyInstance } from 'fastify';
import { CONSTRAINTS } from '../domain/names.ts';
import { SLO_LIMITS } from '../domain/slo-manifest.ts';
import { TEMPURL_METHODS } from '../domain/tempurl.ts';
import { BULK_DELETE_LIMITS } from './bulk-deleter.ts';
import { YIELD_FREQUENCY } from './bulk-response.ts';
import { BULK_UPLOAD_LIMITS } from './extract-archive.ts';
import type { ProxySettings } from './deps.ts';

export function registerInfo(app: FastifyInstance, settings: ProxySettings): void {
  app.get('/info', { config: { public: true } }, async (_req, reply) => reply.type('application/json; charset=utf-8').send({
    swift: {
      version: '2.30.0', strict_cors_mode: true, policies: [{ name: 'Policy-0', aliases: 'Policy-0', default: true }],
      ...CONSTRAINTS, max_file_size: settings.maxFileSize, container_listing_limit: settings.listingLimit, account_listing_limit: settings.listingLimit,
      allow_account_management: false, account_autocreate: true,
    },
    container_quotas: {},
    slo: {
      max_manifest_segments: SLO_LIMITS.maxManifestSegments, max_manifest_size: SLO_LIMITS.maxManifestSize, min_segment_size: SLO_LIMITS.minSegmentSize,
      yield_frequency: YIELD_FREQUENCY, allow_async_delete: true,
    },
    // Swift does not list its dlo middleware; Stratus does, so clients can tell DLOs are served.
    dlo: {},
    bulk_delete: { max_deletes_per_request: BULK_DELETE_LIMITS.maxDeletesPerRequest, max_failed_deletes: BULK_DELETE_LIMITS.maxFailedDeletes },
    bulk_upload: { max_containers_per_extraction: BULK_UPLOAD_LIMITS.maxContainersPerExtraction, max_failed_extractions: BULK_UPLOAD_LIMITS.maxFailedExtractions },
    formpost: { allowed_digests: ['sha1', 'sha256', 'sha512'] },
    versioned_writes: { allowed_flags: ['x-versions-location', 'x-history-location'] },
    tempurl: { methods: [...TEMPURL_METHODS], allowed_digests: ['sha1', 'sha256', 'sha512'], incoming_remove_headers: [], incoming_allow_headers: [], outgoing_remove_headers: [], outgoing_allow_headers: [] },
  }));
  app.get('/healthcheck', { config: { public: true } }, async (_req, reply) => reply.type('text/plain').send('OK'));
}
