// What a source host hands the destination of a cold migration or resize to another host, in the finish_resize
// message: where to pull the guest's disks from, the one-time secret that opens them, and what each file must be.
// Nova's libvirt driver copies the instance directory over ssh; Stratus's destination pulls it over HTTP instead.

/** One file of a guest's directory on offer: its name there, its size and SHA-256 (hex), checked after the pull. */
export interface OfferedFile {
  name: string;
  size: number;
  sha256: string;
}

export interface DiskOffer {
  /** The offer's base URL on the source host (`http://<host ip>:<port>/<offer id>`); a file is `<url>/<name>`. */
  url: string;
  /** The bearer secret of this offer: each file can be fetched once with it, until `expiresAt`. */
  token: string;
  expiresAt: string;
  files: OfferedFile[];
}
