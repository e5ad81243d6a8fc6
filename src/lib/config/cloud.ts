// The cloud-wide options every role reads: where to listen, which database and bus, which region.
import type { OptionSet } from './options.ts';

export const cloudOptions = {
  bind_host: { type: 'string', default: '127.0.0.1', help: 'Address every API listens on.' },
  public_host: { type: 'string', default: '127.0.0.1', help: 'Host name or address put into catalog URLs and clouds.yaml.' },
  region: { type: 'string', default: 'RegionOne', help: 'Region of this cloud\'s endpoints.' },
  auth_url: { type: 'string', default: '', help: 'Identity v3 URL the roles of this host authenticate with; empty means this host\'s own Identity (http://<public_host>:<identity port>/v3).' },
  database_url: {
    type: 'string', default: '',
    help: 'Database URL template with {service}, e.g. postgresql://127.0.0.1/stratus_{service}; empty means SQLite files under the data directory.',
  },
  bus_url: { type: 'string', default: 'memory://stratus', help: 'Message bus: memory://<name> (one process) or amqp://user:pass@host:5672/.' },
  guest_image: { type: 'boolean', default: true, help: 'Whether a first start builds the cirros-like guest image from Debian packages and registers it in Image (public).' },
  log_level: { type: 'string', default: 'info', help: 'Log level.', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
  // Secrets two services share (keys/shared-secrets.yaml, generated on first use, when empty): `<name>_secret`.
  metadata_proxy_secret: { type: 'string', default: '', help: 'Secret the metadata proxy signs instance ids with for Compute\'s metadata API; empty: keys/shared-secrets.yaml.' },
  object_storage_node_secret: {
    type: 'string', default: '',
    help: 'Secret Object Storage proxies and storage nodes sign their requests with (the same on every host); empty: keys/shared-secrets.yaml.',
  },
} as const satisfies OptionSet;
