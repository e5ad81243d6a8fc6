// The metadata service's path tree: `/openstack/<version>/<file>` and the EC2 tree (`/<version>/meta-data/…`,
// `/<version>/user-data`, also under `/ec2/`), resolved the way Nova's does (normalised path, EC2 by default).
import { posix } from 'node:path';
import { EC2_VERSIONS, OPENSTACK_VERSIONS } from '../domain/instance-metadata.ts';
import type { MetadataDocuments } from '../domain/instance-metadata.ts';
import { findEc2Node, renderEc2Node } from '../domain/ec2-metadata.ts';

export type MetadataAnswer =
  | { kind: 'document'; contentType: string; body: string | Buffer }
  /** The password file: read from or written to the database by the caller. */
  | { kind: 'password' };

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json';
const text = (body: string | Buffer): MetadataAnswer => ({ kind: 'document', contentType: TEXT, body });
const json = (value: unknown): MetadataAnswer => ({ kind: 'document', contentType: JSON_TYPE, body: JSON.stringify(value) });

/** The EC2 version list, what `/` answers (to anyone: it says nothing about an instance). */
export const ec2VersionList = (): string => [...EC2_VERSIONS, 'latest'].join('\n');

/** A request path as segments: normalised (no `.`, `..`, doubled or trailing slashes), EC2's tree unless it says `openstack`. */
export function metadataPathSegments(path: string): string[] {
  const normal = posix.normalize(`/${path}`).replace(/\/+$/, '');
  const segments = normal.split('/').slice(1).filter((s) => s !== '');
  if (segments[0] === 'openstack' || segments[0] === 'ec2') return segments;
  return ['ec2', ...segments];
}

/** Whether the path is the service's root, answered without identifying the instance. */
export const isRootPath = (path: string): boolean => posix.normalize(`/${path}`) === '/';

function openstackItem(docs: MetadataDocuments, rest: string[]): MetadataAnswer | undefined {
  const [version, file, ...extra] = rest;
  if (version !== 'latest' && !(OPENSTACK_VERSIONS as readonly string[]).includes(version)) return undefined;
  if (file === undefined) {
    const names = ['meta_data.json', ...(docs.userData ? ['user_data'] : []), 'password', 'vendor_data.json', 'network_data.json', 'vendor_data2.json'];
    return text(names.join('\n'));
  }
  if (extra.length) return undefined;
  switch (file) {
    case 'meta_data.json': return json(docs.metaData);
    case 'network_data.json': return json(docs.networkData);
    case 'vendor_data.json': return json(docs.vendorData);
    case 'vendor_data2.json': return json(docs.vendorData2);
    case 'user_data': return docs.userData ? text(docs.userData) : undefined;
    case 'password': return { kind: 'password' };
    default: return undefined;
  }
}

function ec2Item(docs: MetadataDocuments, rest: string[]): MetadataAnswer | undefined {
  const [version, part, ...below] = rest;
  if (version !== 'latest' && !(EC2_VERSIONS as readonly string[]).includes(version)) return undefined;
  if (part === undefined) return text(['meta-data/', ...(docs.userData ? ['user-data'] : [])].join('\n'));
  if (part === 'user-data') return docs.userData && !below.length ? text(docs.userData) : undefined;
  if (part !== 'meta-data') return undefined;
  const node = findEc2Node(docs.ec2MetaData, below);
  return node === undefined ? undefined : text(renderEc2Node(node));
}

/** What a path below the root answers for an identified instance; undefined for an unknown version or path (404). */
export function resolveMetadataPath(docs: MetadataDocuments, path: string): MetadataAnswer | undefined {
  const [tree, ...rest] = metadataPathSegments(path);
  if (!rest.length) return text(tree === 'openstack' ? [...OPENSTACK_VERSIONS, 'latest'].join('\n') : ec2VersionList());
  return tree === 'openstack' ? openstackItem(docs, rest) : ec2Item(docs, rest);
}
