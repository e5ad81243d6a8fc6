// The floor: a bare node:http server returning a small JSON, measured beside Stratus so ratios to it cancel out the machine.
// Usage: node bench/floor-server.ts [port]   (port 0 or none picks a free one; prints "listening <port>" when ready)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const body = JSON.stringify({ version: { id: 'v3.14', status: 'stable' } });
const length = String(Buffer.byteLength(body));

const server = createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': length });
  res.end(body);
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
