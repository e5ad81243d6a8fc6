// Segment ranges from configuration: VXLAN network identifiers are 24-bit, and 0 is reserved.
const MAX_VNI = 16777215;

/** Parses `first:last` (or a single VNI); throws at start-up on a malformed or out-of-range value. */
export function parseVniRange(text: string): [number, number] {
  const m = /^\s*(\d+)\s*(?::\s*(\d+)\s*)?$/.exec(text);
  const first = m ? Number(m[1]) : NaN;
  const last = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || first < 1 || last > MAX_VNI || first > last) throw new Error(`network.vni_ranges must be first:last within 1:${MAX_VNI}; got ${text}`);
  return [first, last];
}
