// Content-Type for an object PUT without one (or with X-Detect-Content-Type): guessed from the name's extension.
const BY_EXTENSION: Record<string, string> = {
  txt: 'text/plain', html: 'text/html', htm: 'text/html', css: 'text/css', csv: 'text/csv', js: 'application/javascript',
  json: 'application/json', xml: 'application/xml', pdf: 'application/pdf', zip: 'application/zip', gz: 'application/gzip',
  tgz: 'application/gzip', tar: 'application/x-tar', bz2: 'application/x-bzip2', xz: 'application/x-xz', png: 'image/png',
  jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', svg: 'image/svg+xml', webp: 'image/webp', ico: 'image/vnd.microsoft.icon',
  mp4: 'video/mp4', mp3: 'audio/mpeg', wav: 'audio/x-wav', iso: 'application/x-iso9660-image', img: 'application/octet-stream',
  qcow2: 'application/octet-stream', yaml: 'application/yaml', yml: 'application/yaml', md: 'text/markdown', sh: 'application/x-sh',
};

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

export function guessContentType(objectName: string): string {
  const base = objectName.split('/').at(-1) ?? '';
  const dot = base.lastIndexOf('.');
  return (dot > 0 ? BY_EXTENSION[base.slice(dot + 1).toLowerCase()] : undefined) ?? DEFAULT_CONTENT_TYPE;
}

/** A client's Content-Type is stored as given, after a sanity check (no control characters, bounded length). */
export function validContentType(value: string): boolean {
  return value.length <= 255 && !/[\x00-\x1f\x7f]/.test(value);
}
