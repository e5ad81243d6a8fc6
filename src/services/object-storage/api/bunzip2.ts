// A streaming bzip2 decompressor (Node has none): the stream header, then block after block — Huffman-coded MTF/RLE
// symbols, the inverse Burrows-Wheeler transform, the initial run-length decoding — each checked against its CRC, and
// the stream's combined CRC at the end; concatenated streams follow one another. Memory stays bounded: one block's
// compressed bytes (a block is retried when its bytes are not all there yet) and its tables (at most 900,000 entries);
// the output leaves in 64 KiB pieces however much a block expands.

/** Corrupt or truncated bzip2 data. */
export class Bzip2Error extends Error {}

/** Thrown by the bit reader when the buffered input ends: the block is decoded again with more input. */
const NEED_MORE = Symbol('need more input');

const BLOCK_MAGIC_HI = 0x314159, BLOCK_MAGIC_LO = 0x265359;
const END_MAGIC_HI = 0x177245, END_MAGIC_LO = 0x385090;
const MAX_GROUPS = 6, MAX_ALPHA = 258, MAX_CODE_LEN = 20, GROUP_SIZE = 50, MAX_SELECTORS = 18002;
const OUT_CHUNK = 64 * 1024;
/** Input buffered before a block is attempted (a level-9 block rarely compresses to more). */
const READ_AHEAD = 1024 * 1024;

// Int32 tables and arithmetic keep the hot loops in small integers (uint32 values above 2^31 would be doubles).
const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c;
  }
  return t;
})();

/** Reads big-endian bit fields from a buffer; throws NEED_MORE past its end. */
class BitReader {
  buf: Buffer;
  pos = 0;
  acc = 0;
  accBits = 0;
  constructor(buf: Buffer) { this.buf = buf; }

  bits(n: number): number {
    while (this.accBits < n) {
      if (this.pos >= this.buf.length) throw NEED_MORE;
      this.acc = ((this.acc << 8) | this.buf[this.pos++]) >>> 0;
      this.accBits += 8;
    }
    this.accBits -= n;
    const v = (this.acc >>> this.accBits) & ((1 << n) - 1);
    this.acc &= (1 << this.accBits) - 1;
    return v;
  }

  bit(): number { return this.bits(1); }

  /**
   * Up to 24 more bits in the accumulator if the input has them (never more than 31 held, so it stays a small
   * integer); how many bits it then holds.
   */
  fill(): number {
    while (this.accBits <= 23 && this.pos < this.buf.length) {
      this.acc = (this.acc << 8) | this.buf[this.pos++];
      this.accBits += 8;
    }
    return this.accBits;
  }

  alignToByte(): void { this.acc = 0; this.accBits = 0; }

  save() { return { pos: this.pos, acc: this.acc, accBits: this.accBits }; }

  restore(s: { pos: number; acc: number; accBits: number }): void { this.pos = s.pos; this.acc = s.acc; this.accBits = s.accBits; }
}

/** One Huffman table in bzip2's limit/base/perm form. */
interface HuffmanTable { limit: Int32Array; base: Int32Array; perm: Int32Array; minLen: number }

function huffmanTable(lengths: Uint8Array, alphaSize: number): HuffmanTable {
  let minLen = 32, maxLen = 0;
  for (let i = 0; i < alphaSize; i++) {
    minLen = Math.min(minLen, lengths[i]);
    maxLen = Math.max(maxLen, lengths[i]);
  }
  const perm = new Int32Array(MAX_ALPHA);
  let pp = 0;
  for (let len = minLen; len <= maxLen; len++) for (let s = 0; s < alphaSize; s++) if (lengths[s] === len) perm[pp++] = s;
  const base = new Int32Array(MAX_CODE_LEN + 2);
  for (let s = 0; s < alphaSize; s++) base[lengths[s] + 1]++;
  for (let i = 1; i < base.length; i++) base[i] += base[i - 1];
  const limit = new Int32Array(MAX_CODE_LEN + 2).fill(-1);
  let vec = 0;
  for (let len = minLen; len <= maxLen; len++) {
    vec += base[len + 1] - base[len];
    limit[len] = vec - 1;
    vec <<= 1;
  }
  for (let len = minLen + 1; len <= maxLen; len++) base[len] = ((limit[len - 1] + 1) << 1) - base[len];
  return { limit, base, perm, minLen };
}

function decodeSymbol(r: BitReader, t: HuffmanTable): number {
  // Fast path: with a whole code's worth of bits held, try each length on the peeked bits and consume once.
  if (r.fill() >= MAX_CODE_LEN) {
    const { acc, accBits } = r;
    for (let len = t.minLen; len <= MAX_CODE_LEN; len++) {
      const code = (acc >>> (accBits - len)) & ((1 << len) - 1);
      if (code <= t.limit[len]) {
        const i = code - t.base[len];
        if (i < 0 || i >= MAX_ALPHA) break;
        r.accBits = accBits - len;
        r.acc = acc & ((1 << r.accBits) - 1);
        return t.perm[i];
      }
    }
    throw new Bzip2Error('bzip2: invalid Huffman code');
  }
  let len = t.minLen;
  let code = r.bits(len);
  while (len <= MAX_CODE_LEN) {
    if (code <= t.limit[len]) {
      const i = code - t.base[len];
      if (i < 0 || i >= MAX_ALPHA) break;
      return t.perm[i];
    }
    code = (code << 1) | r.bit();
    len++;
  }
  throw new Bzip2Error('bzip2: invalid Huffman code');
}

interface Block { crc: number; tt: Int32Array; length: number; origPtr: number }

/** Decodes one block (after its magic) up to the inverse BWT's input: the tt vector with the byte in its low 8 bits. */
function readBlock(r: BitReader, maxBlockSize: number, tt: Int32Array): Block {
  const crc = ((r.bits(16) << 16) | r.bits(16)) >>> 0;
  if (r.bit()) throw new Bzip2Error('bzip2: randomised blocks are not supported');
  const origPtr = r.bits(24);
  const used = r.bits(16);
  const seqToUnseq = new Uint8Array(256);
  let nInUse = 0;
  for (let i = 0; i < 16; i++) {
    if (!(used & (0x8000 >> i))) continue;
    const bitsIn = r.bits(16);
    for (let j = 0; j < 16; j++) if (bitsIn & (0x8000 >> j)) seqToUnseq[nInUse++] = i * 16 + j;
  }
  if (nInUse === 0) throw new Bzip2Error('bzip2: block uses no symbols');
  const alphaSize = nInUse + 2;
  const nGroups = r.bits(3);
  const nSelectors = r.bits(15);
  if (nGroups < 2 || nGroups > MAX_GROUPS || nSelectors < 1) throw new Bzip2Error('bzip2: invalid block header');
  const groupMtf = Array.from({ length: nGroups }, (_, i) => i);
  const selectors = new Uint8Array(Math.min(nSelectors, MAX_SELECTORS));
  for (let i = 0; i < nSelectors; i++) {
    let j = 0;
    while (r.bit()) if (++j >= nGroups) throw new Bzip2Error('bzip2: invalid selector');
    const g = groupMtf[j];
    groupMtf.splice(j, 1);
    groupMtf.unshift(g);
    if (i < MAX_SELECTORS) selectors[i] = g;
  }
  const tables: HuffmanTable[] = [];
  const lengths = new Uint8Array(MAX_ALPHA);
  for (let t = 0; t < nGroups; t++) {
    let curr = r.bits(5);
    for (let s = 0; s < alphaSize; s++) {
      for (;;) {
        if (curr < 1 || curr > MAX_CODE_LEN) throw new Bzip2Error('bzip2: invalid code length');
        if (!r.bit()) break;
        curr += r.bit() ? -1 : 1;
      }
      lengths[s] = curr;
    }
    tables.push(huffmanTable(lengths, alphaSize));
  }

  // Symbols: RUNA/RUNB spell a run of the front byte, others move a byte to the front, the last one ends the block.
  const eob = nInUse + 1;
  const mtf = new Uint8Array(256);
  for (let i = 0; i < 256; i++) mtf[i] = i;
  const counts = new Int32Array(256);
  let length = 0;
  let selector = 0, groupLeft = 0;
  let table = tables[0];
  let run = 0, runWeight = 1;
  for (;;) {
    if (groupLeft === 0) {
      if (selector >= selectors.length) throw new Bzip2Error('bzip2: selectors exhausted');
      table = tables[selectors[selector++]];
      groupLeft = GROUP_SIZE;
    }
    groupLeft--;
    const sym = decodeSymbol(r, table);
    if (sym <= 1) {
      run += (sym + 1) * runWeight;
      runWeight <<= 1;
      if (run > maxBlockSize) throw new Bzip2Error('bzip2: block too long');
      continue;
    }
    if (run > 0) {
      if (length + run > maxBlockSize) throw new Bzip2Error('bzip2: block too long');
      const b = seqToUnseq[mtf[0]];
      counts[b] += run;
      tt.fill(b, length, length + run);
      length += run;
      run = 0;
      runWeight = 1;
    }
    if (sym === eob) break;
    if (sym >= eob) throw new Bzip2Error('bzip2: invalid symbol');
    const idx = sym - 1;
    const v = mtf[idx];
    // Short moves by hand: a call per symbol costs more than the few bytes most symbols move.
    if (idx < 16) for (let k = idx; k > 0; k--) mtf[k] = mtf[k - 1];
    else mtf.copyWithin(1, 0, idx);
    mtf[0] = v;
    const b = seqToUnseq[v];
    if (length >= maxBlockSize) throw new Bzip2Error('bzip2: block too long');
    counts[b]++;
    tt[length++] = b;
  }
  if (origPtr >= length) throw new Bzip2Error('bzip2: invalid block origin');
  // Inverse BWT links: each entry keeps its byte low and, above it, where the next byte of the text is.
  const cftab = new Int32Array(256);
  for (let i = 0, sum = 0; i < 256; i++) {
    cftab[i] = sum;
    sum += counts[i];
  }
  for (let i = 0; i < length; i++) {
    const b = tt[i] & 0xff;
    tt[cftab[b]++] |= i << 8;
  }
  return { crc, tt, length, origPtr };
}

/** Where the text of a block has got to: the BWT walk, the run being undone, the CRC so far. */
interface TextState { i: number; tPos: number; last: number; same: number; pending: number; crc: number }

/** Fills `out` with the block's next bytes (the BWT and initial run-length coding undone); how many it wrote. */
function fillText(block: Block, st: TextState, out: Buffer): number {
  const { tt, length } = block;
  let { i, tPos, last, same, pending, crc } = st;
  let n = 0;
  const max = out.length;
  while (n < max) {
    if (pending > 0) {
      // Copies of `last` owed by a run count.
      const k = Math.min(pending, max - n);
      out.fill(last, n, n + k);
      for (let j = 0; j < k; j++) crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ last) & 0xff];
      n += k;
      pending -= k;
      continue;
    }
    if (i >= length) break;
    tPos = tt[tPos];
    const b = tPos & 0xff;
    tPos >>>= 8;
    i++;
    if (same === 4) {
      // After four equal bytes, this one counts more copies of it.
      pending = b;
      same = 0;
      continue;
    }
    if (b === last) same++;
    else {
      last = b;
      same = 1;
    }
    crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff];
    out[n++] = b;
  }
  Object.assign(st, { i, tPos, last, same, pending, crc });
  return n;
}

/** The block's text in pieces, CRC-checked at its end. */
function* blockText(block: Block): Generator<Buffer> {
  const st: TextState = { i: 0, tPos: block.tt[block.origPtr] >>> 8, last: -1, same: 0, pending: 0, crc: -1 };
  for (;;) {
    const out = Buffer.allocUnsafe(OUT_CHUNK);
    const n = fillText(block, st, out);
    if (n === 0) break;
    yield n === OUT_CHUNK ? out : out.subarray(0, n);
  }
  if ((~st.crc >>> 0) !== block.crc) throw new Bzip2Error('bzip2: block CRC mismatch');
}

/** Decompresses a bzip2 stream (or several, concatenated); throws Bzip2Error on corrupt or truncated data. */
export async function* bunzip2(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const input = source[Symbol.asyncIterator]();
  const r = new BitReader(Buffer.alloc(0));
  let ended = false;
  /** Appends input (dropping what was consumed before `keepFrom`); false at the end of the input. */
  const more = async (keepFrom: number, atLeast: number): Promise<boolean> => {
    const chunks = [r.buf.subarray(keepFrom)];
    let size = chunks[0].length;
    const start = size;
    while (!ended && size - start < atLeast) {
      const next = await input.next();
      if (next.done) ended = true;
      else {
        chunks.push(next.value);
        size += next.value.length;
      }
    }
    r.buf = Buffer.concat(chunks);
    r.pos -= keepFrom;
    return size > start;
  };
  /** Runs `step` with all the input it needs: on running out it is retried from where it began, with more. */
  async function withInput<T>(step: () => T, readAhead: number): Promise<T> {
    for (;;) {
      const at = r.save();
      if (r.buf.length - r.pos < readAhead && !ended) await more(at.pos, readAhead);
      const start = r.save();
      try {
        return step();
      } catch (err) {
        if (err !== NEED_MORE) throw err;
        r.restore(start);
        if (!await more(start.pos, READ_AHEAD / 2)) throw new Bzip2Error('bzip2: unexpected end of data');
        // more() moved the buffer: the saved position moved with it.
        r.restore({ ...start, pos: 0 });
      }
    }
  }

  let streams = 0;
  for (;;) {
    // A stream header: "BZh" and the block size in 100k units. After a first stream, anything else ends the data.
    const head = await withInput(() => {
      if (streams > 0 && r.pos >= r.buf.length && ended) return 0;
      return (r.bits(8) << 24 | r.bits(8) << 16 | r.bits(8) << 8 | r.bits(8)) >>> 0;
    }, 4).catch((err: unknown) => {
      if (streams > 0 && err instanceof Bzip2Error) return 0;
      throw err;
    });
    const level = head - 0x425a6830;
    if (head >>> 8 !== 0x425a68 || level < 1 || level > 9) {
      if (streams > 0) return;
      throw new Bzip2Error('bzip2: not a bzip2 stream');
    }
    streams++;
    const maxBlockSize = level * 100000;
    const tt = new Int32Array(maxBlockSize);
    let combined = 0;
    for (;;) {
      const kind = await withInput(() => {
        const hi = r.bits(24), lo = r.bits(24);
        if (hi === BLOCK_MAGIC_HI && lo === BLOCK_MAGIC_LO) return { block: readBlock(r, maxBlockSize, tt) };
        if (hi === END_MAGIC_HI && lo === END_MAGIC_LO) return { end: ((r.bits(16) << 16) | r.bits(16)) >>> 0 };
        throw new Bzip2Error('bzip2: invalid block magic');
      }, READ_AHEAD);
      if ('end' in kind) {
        if (kind.end !== combined) throw new Bzip2Error('bzip2: stream CRC mismatch');
        r.alignToByte();
        break;
      }
      yield* blockText(kind.block);
      combined = (((combined << 1) | (combined >>> 31)) ^ kind.block.crc) >>> 0;
    }
  }
}
