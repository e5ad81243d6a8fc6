// The body of POST /v2/images/{id}/import (and its X-Image-Meta-Store header) read as Glance reads them: the method,
// the stores to import into, and whether every store must succeed. Bad input is a 400 and names what was wrong;
// a store this cloud does not have is a 409, as the Image API reference says.
import { BadRequest, Conflict } from '#lib/errors.ts';

export type ImportMethod = 'glance-direct' | 'copy-image';

export interface ImportRequest {
  method: ImportMethod;
  /** The stores to import into, in the order given (all configured ones for `all_stores`); never empty. */
  stores: string[];
  /** `all_stores: true`: for copy-image, the stores already holding the image are skipped rather than refused. */
  allStores: boolean;
  /** `all_stores_must_succeed` (default true): one failed store fails the whole import and undoes it. */
  mustSucceed: boolean;
}

/** The stores this site has, the default first, as /v2/info/stores lists them. */
export interface StoreIds {
  all: readonly string[];
  default: string;
}

/** The import methods a site with these stores offers: copy-image needs a second store to copy into. */
export function importMethods(stores: StoreIds): ImportMethod[] {
  return stores.all.length > 1 ? ['glance-direct', 'copy-image'] : ['glance-direct'];
}

function methodOf(body: Record<string, unknown>, stores: StoreIds): ImportMethod {
  const method = body.method;
  if (typeof method !== 'object' || method === null) throw new BadRequest('Import request requires a \'method\' field: {"method": {"name": "glance-direct"}}.');
  const name = (method as { name?: unknown }).name;
  if (typeof name !== 'string') throw new BadRequest('Import request requires a \'name\' field in its \'method\'.');
  const offered = importMethods(stores);
  if ((offered as string[]).includes(name)) return name as ImportMethod;
  if (name === 'web-download') {
    throw new BadRequest('Import method \'web-download\' is not available at this site: this cloud has no outbound network access. Stage the data with PUT /v2/images/{image_id}/stage and import it with \'glance-direct\', or upload it with PUT /v2/images/{image_id}/file.');
  }
  if (name === 'copy-image') {
    throw new BadRequest('Import method \'copy-image\' is not available at this site: it copies image data into further stores, and this cloud has a single store.');
  }
  throw new BadRequest(`Unknown import method name '${name}'. Available import methods: ${offered.join(', ')}.`);
}

function flag(body: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const value = body[name] ?? fallback;
  if (typeof value !== 'boolean') throw new BadRequest(`'${name}' must be boolean value only.`);
  return value;
}

/**
 * Reads an import request. `header` is X-Image-Meta-Store, Glance's older way of naming the one store. 400 for a
 * malformed body, a method this site does not offer, or contradictory store choices; 409 for an unknown store.
 */
export function parseImportRequest(body: unknown, header: string | undefined, stores: StoreIds): ImportRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('The import request body must be a JSON object with a \'method\'.');
  const doc = body as Record<string, unknown>;
  const method = methodOf(doc, stores);
  const mustSucceed = flag(doc, 'all_stores_must_succeed', true);
  const allStores = flag(doc, 'all_stores', false);
  let chosen: string[];
  if (allStores) {
    if (doc.stores !== undefined || header !== undefined) throw new BadRequest('All_stores parameter can\'t be used with x-image-meta-store header or stores parameter.');
    chosen = [...stores.all];
  } else if (doc.stores !== undefined) {
    if (header !== undefined) throw new BadRequest('Stores parameter and x-image-meta-store header can\'t be both specified.');
    if (!Array.isArray(doc.stores) || doc.stores.length === 0 || !doc.stores.every((s) => typeof s === 'string')) {
      throw new BadRequest('\'stores\' must be a non-empty list of store identifiers (GET /v2/info/stores lists them).');
    }
    chosen = [...new Set(doc.stores as string[])];
  } else {
    chosen = [header?.trim() ?? stores.default];
  }
  const unknown = chosen.find((id) => !stores.all.includes(id));
  if (unknown !== undefined) throw new Conflict(`Store for identifier ${unknown} not found: this cloud's stores are ${stores.all.join(', ')} (GET /v2/info/stores).`);
  return { method, stores: chosen, allStores, mustSucceed };
}
