// clouds.yaml and openrc for the admin user, so the openstack CLI works against this cloud at once.
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { DataDir } from './data-dir.ts';
import { writePrivateFile } from './data-dir.ts';

export interface AdminCredentials {
  authUrl: string;
  password: string;
  region: string;
}

const shellQuote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

export function writeCloudFiles(d: DataDir, c: AdminCredentials): { cloudsYaml: string; openrc: string } {
  const cloudsYaml = join(d.root, 'clouds.yaml');
  const openrc = join(d.root, 'openrc');
  writePrivateFile(cloudsYaml, stringify({
    clouds: {
      stratus: {
        auth: {
          auth_url: c.authUrl, username: 'admin', password: c.password, project_name: 'admin',
          user_domain_name: 'Default', project_domain_name: 'Default',
        },
        region_name: c.region, interface: 'public', identity_api_version: 3,
      },
    },
  }));
  writePrivateFile(openrc, [
    `export OS_AUTH_URL=${shellQuote(c.authUrl)}`,
    'export OS_USERNAME=admin',
    `export OS_PASSWORD=${shellQuote(c.password)}`,
    'export OS_PROJECT_NAME=admin',
    'export OS_USER_DOMAIN_NAME=Default',
    'export OS_PROJECT_DOMAIN_NAME=Default',
    `export OS_REGION_NAME=${shellQuote(c.region)}`,
    'export OS_IDENTITY_API_VERSION=3',
    'export OS_INTERFACE=public',
    '',
  ].join('\n'));
  return { cloudsYaml, openrc };
}
