// Checks an image's bytes before qemu-img reads them, as the Image service does: the detected format must be the
// declared one, and a qcow2 may not point at a backing file or an external data file (either would make qemu-img
// read a file of the host's choosing into the volume).
import { open } from 'node:fs/promises';

const QCOW2_MAGIC = 0x514649fb;
const INCOMPAT_EXTERNAL_DATA_FILE = 1n << 2n;

/** Throws unless the file at `path` is a plain image of `declared` format (qcow2 or raw). */
export async function checkImageFormat(path: string, declared: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(104);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const isQcow2 = bytesRead >= 72 && head.readUInt32BE(0) === QCOW2_MAGIC;
    if (declared === 'raw') {
      if (isQcow2) throw new Error('the image is declared raw but its data is qcow2');
      return;
    }
    if (declared !== 'qcow2') throw new Error(`images of disk_format ${declared} are not supported for volumes (qcow2 or raw)`);
    if (!isQcow2) throw new Error('the image is declared qcow2 but its data is not');
    if (head.readBigUInt64BE(8) !== 0n) throw new Error('qcow2 images with a backing file are refused');
    if (head.readUInt32BE(4) >= 3 && (head.readBigUInt64BE(72) & INCOMPAT_EXTERNAL_DATA_FILE) !== 0n) throw new Error('qcow2 images with an external data file are refused');
  } finally {
    await fh.close();
  }
}
