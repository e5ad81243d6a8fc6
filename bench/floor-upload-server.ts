// The data floor: a bare node:http server that discards what is PUT to it (or, with ?write=1, writes it to a file
// and fsyncs it, as a store must) and streams a file on GET, so the image
// bench can compare Stratus's transfer rates with curl against the simplest possible server on the same machine.
// Usage: node bench/floor-upload-server.ts <file> [port]   (prints "listening <port>" when ready)
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bench/floor-upload-server.ts <file> [port]\n');
  process.exit(2);
}

const server = createServer((req, res) => {
  if ((req.method === 'PUT' || req.method === 'POST') && req.url?.endsWith('?write=1')) {
    // The durable variant: what any store must do at least, the bytes written to a file and fsynced, then removed.
    const target = `${file}.floor-upload`;
    pipeline(req, createWriteStream(target, { flush: true })).then(
      () => { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('written\n'); },
      (err: Error) => { res.writeHead(500, { 'Content-Type': 'text/plain' }); res.end(`${err.message}\n`); },
    ).finally(() => rmSync(target, { force: true }));
    return;
  }
  if (req.method === 'PUT' || req.method === 'POST') {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => { bytes += chunk.length; });
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(`${bytes}\n`);
    });
    return;
  }
  const { size } = statSync(file);
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) });
  createReadStream(file).pipe(res);
});
server.listen(Number(process.argv[3] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
