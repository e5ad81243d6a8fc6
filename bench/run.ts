// `npm run bench -- <area>`: one entry point for every benchmark area, so each area is run and reported the same way.

/** Each area is a module exporting `main(args)`; loaded lazily so one area's imports never slow another. */
const AREAS: Record<string, { help: string; load: () => Promise<{ main(args: string[]): Promise<void> }> }> = {
  identity: {
    help: 'token issue (two hash costs), token validation, project list, version document, and the node:http floor',
    load: () => import('./identity.ts'),
  },
  image: {
    help: 'upload and download a large image (BENCH_IMAGE_MB, default 1024) through stratus up beside curl and a bare node:http server',
    load: () => import('./image.ts'),
  },
  compute: {
    help: 'boot BENCH_SERVERS (1000) servers at BENCH_CONCURRENCY (20) on BENCH_HOSTS (100) fake hosts, then delete them',
    load: () => import('./compute.ts'),
  },
  object: {
    help: '4 KiB PUT/GET objects/s and 1 MiB PUT/GET MB/s at concurrency 16 with 3 replicas, and listing a 10,000-object container',
    load: () => import('./object.ts'),
  },
  boot: {
    help: 'real VMs (qemu, TCG here; root): POST /servers to the boot marker, p50 of BENCH_BOOTS (5) sequential and BENCH_CONCURRENT (10) at once, RSS',
    load: () => import('./boot.ts'),
  },
  network: {
    help: 'linuxbridge data plane (root): ports/s bound, wired and in DHCP at BENCH_CONCURRENCY (8) for BENCH_PORTS (200), and port create to a namespace VM\'s DHCP lease',
    load: () => import('./network.ts'),
  },
  volume: {
    help: '1 GiB volume create/delete rate, snapshot create latency, and create-from-image MB/s (BENCH_IMAGE_MB, default 1024)',
    load: () => import('./volume.ts'),
  },
};

function usage(): string {
  return [
    'usage: npm run bench -- <area> [options]',
    '',
    'areas:',
    ...Object.entries(AREAS).map(([name, a]) => `  ${name.padEnd(10)} ${a.help}`),
    '',
    'environment: BENCH_SECONDS (default 10), BENCH_RUNS (default 3), BENCH_WARMUP_SECONDS (default 2),',
    '             BENCH_RESULTS_DIR (default data/bench), BENCH_PROFILE=1 (also CPU-profile the validation path),',
    '             BENCH_IMAGE_MB (default 1024, image bench size)',
    '',
  ].join('\n');
}

const [area, ...rest] = process.argv.slice(2);
if (area === undefined || area === '-h' || area === '--help') {
  process.stdout.write(usage());
  process.exit(area === undefined ? 2 : 0);
}
const entry = AREAS[area];
if (!entry) {
  process.stderr.write(`bench: unknown area "${area}"\n\n${usage()}`);
  process.exit(2);
}
try {
  await (await entry.load()).main(rest);
} catch (err) {
  process.stderr.write(`bench ${area}: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
}
