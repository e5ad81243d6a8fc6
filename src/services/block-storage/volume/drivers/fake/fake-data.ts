// The fake driver's volume contents: sparse pages in memory (a page never written reads as zeros), so backups of fake
// volumes move real bytes without allocating whole gigabytes.
const PAGE = 64 * 1024;
const ZERO_PAGE = Buffer.alloc(PAGE);

export type SparseData = Map<number, Buffer>;

/** Copies `length` bytes at `position` of `data` into `out` (zeros where nothing was written). */
export function readSparse(data: SparseData | undefined, out: Buffer, position: number): void {
  out.fill(0);
  for (let done = 0; done < out.length;) {
    const at = position + done;
    const page = Math.floor(at / PAGE);
    const offset = at - page * PAGE;
    const n = Math.min(PAGE - offset, out.length - done);
    data?.get(page)?.copy(out, done, offset, offset + n);
    done += n;
  }
}

/** Writes `chunk` at `position`; all-zero pages are not kept. */
export function writeSparse(data: SparseData, chunk: Buffer, position: number): void {
  for (let done = 0; done < chunk.length;) {
    const at = position + done;
    const page = Math.floor(at / PAGE);
    const offset = at - page * PAGE;
    const n = Math.min(PAGE - offset, chunk.length - done);
    const buf = data.get(page) ?? Buffer.alloc(PAGE);
    chunk.copy(buf, offset, done, done + n);
    if (buf.equals(ZERO_PAGE)) data.delete(page);
    else data.set(page, buf);
    done += n;
  }
}
