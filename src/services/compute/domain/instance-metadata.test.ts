// The guest documents: meta_data.json, network_data.json and the EC2 tree in the shapes guests parse, and the config
// drive's layout.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Instance } from './instance.ts';
import { OPENSTACK_VERSIONS, buildInstanceMetadata, configDriveFiles } from './instance-metadata.ts';
import type { MetadataInput } from './instance-metadata.ts';
import { netmaskOf } from './network-metadata.ts';
import { findEc2Node, renderEc2Node } from './ec2-metadata.ts';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDq3 alice@laptop';

function instance(over: Partial<Instance> = {}): Instance {
  return {
    uuid: '8f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b', name: 'web 1', description: null, projectId: 'p1', userId: 'u1', imageRef: 'c0ffee00-1111-2222-3333-444455556666',
    flavor: { id: '1', name: 'm1.tiny', ram: 512, vcpus: 1, disk: 1, ephemeral: 1, swap: 0, rxtxFactor: 1, isPublic: true, disabled: false, description: null, extraSpecs: {} },
    keyName: 'mykey', keyData: KEY, userData: Buffer.from('#!/bin/sh\necho hi\n').toString('base64'), availabilityZone: null, hostname: 'web-1',
    host: 'h1', node: 'h1', vmState: 'active', taskState: null, powerState: 1, configDrive: false, accessIpV4: null, accessIpV6: null,
    locked: false, lockedBy: null, reservationId: 'r-abc123', launchIndex: 0, requestedNetworks: 'auto', securityGroups: ['default'],
    networkInfo: [
      { portId: 'port-b-0000-0000', networkId: 'net-2', networkName: 'second', macAddress: 'fa:16:3e:00:00:02', createdByCompute: true, ips: [] },
      { portId: 'port-a-0000-0000', networkId: 'net-1', networkName: 'first', macAddress: 'fa:16:3e:00:00:01', createdByCompute: true, ips: [] },
    ],
    requestSpec: { triedHosts: [], attempts: 1, hints: {} }, fault: null, metadata: { role: 'web' }, launchedAt: null, terminatedAt: null,
    createdAt: '2024-01-01T00:00:00Z', updatedAt: '2024-01-01T00:00:00Z', deletedAt: null, deleted: false, ...over,
  };
}

function input(over: Partial<MetadataInput> = {}): MetadataInput {
  return {
    instance: instance(),
    network: {
      // Networking lists them in its own order; the guest sees them in the order Compute plugged them.
      ports: [
        { portId: 'port-a-0000-0000', networkId: 'net-1', macAddress: 'fa:16:3e:00:00:01', mtu: 1450, vifType: 'bridge',
          fixedIps: [{ address: '10.0.0.5', subnetId: 's4' }, { address: 'fd00::5', subnetId: 's6' }], floatingIps: ['172.24.4.10'] },
        { portId: 'port-b-0000-0000', networkId: 'net-2', macAddress: 'fa:16:3e:00:00:02', mtu: 1500, vifType: 'unbound',
          fixedIps: [{ address: '192.168.7.9', subnetId: 'static4' }], floatingIps: [] },
      ],
      subnets: [
        { id: 's4', ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.1', enableDhcp: true, dnsNameservers: ['10.0.0.2'], hostRoutes: [], ipv6AddressMode: null },
        { id: 's6', ipVersion: 6, cidr: 'fd00::/64', gatewayIp: 'fd00::1', enableDhcp: true, dnsNameservers: [], hostRoutes: [], ipv6AddressMode: 'slaac' },
        { id: 'static4', ipVersion: 4, cidr: '192.168.7.0/26', gatewayIp: '192.168.7.1', enableDhcp: false, dnsNameservers: ['9.9.9.9', '10.0.0.2'],
          hostRoutes: [{ destination: '172.16.0.0/12', nexthop: '192.168.7.2' }], ipv6AddressMode: null },
      ],
    },
    keyPair: { name: 'mykey', type: 'ssh', publicKey: KEY },
    volumeDevices: ['/dev/vdd', '/dev/vdc'],
    dhcpDomain: 'novalocal',
    randomSeed: Buffer.alloc(512, 1),
    ...over,
  };
}

describe('instance metadata documents', () => {
  it('meta_data.json carries identity, keys, metadata, zone and the random seed as cloud-init reads them', () => {
    const md = buildInstanceMetadata(input()).metaData;
    assert.deepEqual(md, {
      uuid: '8f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b', meta: { role: 'web' }, public_keys: { mykey: KEY },
      keys: [{ name: 'mykey', type: 'ssh', data: KEY }], hostname: 'web-1.novalocal', name: 'web 1', launch_index: 0,
      availability_zone: 'nova', random_seed: Buffer.alloc(512, 1).toString('base64'), project_id: 'p1', devices: [], dedicated_cpus: [],
    });
  });

  it('leaves keys and meta out when the instance has none, and the domain off the hostname when empty', () => {
    const md = buildInstanceMetadata(input({ instance: instance({ keyName: null, keyData: null, metadata: {} }), keyPair: null, dhcpDomain: '' })).metaData;
    assert.equal('public_keys' in md, false);
    assert.equal('keys' in md, false);
    assert.equal('meta' in md, false);
    assert.equal(md.hostname, 'web-1');
  });

  it('network_data.json has a link per port in NIC order, DHCP or static networks with routes, and DNS once', () => {
    const nd = buildInstanceMetadata(input()).networkData;
    assert.deepEqual(nd.links, [
      { id: 'tapport-b-0000', vif_id: 'port-b-0000-0000', type: 'phy', mtu: 1500, ethernet_mac_address: 'fa:16:3e:00:00:02' },
      { id: 'tapport-a-0000', vif_id: 'port-a-0000-0000', type: 'bridge', mtu: 1450, ethernet_mac_address: 'fa:16:3e:00:00:01' },
    ]);
    assert.deepEqual(nd.networks, [
      {
        id: 'network0', type: 'ipv4', link: 'tapport-b-0000', ip_address: '192.168.7.9', netmask: '255.255.255.192', network_id: 'net-2',
        routes: [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: '192.168.7.1' }, { network: '172.16.0.0', netmask: '255.240.0.0', gateway: '192.168.7.2' }],
        services: [{ type: 'dns', address: '9.9.9.9' }, { type: 'dns', address: '10.0.0.2' }],
      },
      { id: 'network1', type: 'ipv4_dhcp', link: 'tapport-a-0000', network_id: 'net-1' },
      {
        id: 'network2', type: 'ipv6_slaac', link: 'tapport-a-0000', ip_address: 'fd00::5', netmask: 'ffff:ffff:ffff:ffff::', network_id: 'net-1',
        routes: [{ network: '::', netmask: '::', gateway: 'fd00::1' }], services: [],
      },
    ]);
    assert.deepEqual(nd.services, [{ type: 'dns', address: '9.9.9.9' }, { type: 'dns', address: '10.0.0.2' }]);
  });

  it('computes netmasks for every prefix length in both families', () => {
    assert.equal(netmaskOf(0, 4), '0.0.0.0');
    assert.equal(netmaskOf(32, 4), '255.255.255.255');
    assert.equal(netmaskOf(23, 4), '255.255.254.0');
    assert.equal(netmaskOf(0, 6), '::');
    assert.equal(netmaskOf(65, 6), 'ffff:ffff:ffff:ffff:8000::');
    assert.equal(netmaskOf(112, 6), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:0');
    assert.equal(netmaskOf(128, 6), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  });

  it('the EC2 tree lists directories with a slash, the key as 0=<name>, and addresses from the ports', () => {
    const tree = buildInstanceMetadata(input()).ec2MetaData;
    assert.equal(renderEc2Node(tree), [
      'ami-id', 'ami-launch-index', 'ami-manifest-path', 'block-device-mapping/', 'hostname', 'instance-action', 'instance-id',
      'instance-type', 'local-hostname', 'local-ipv4', 'placement/', 'public-hostname', 'public-ipv4', 'public-keys/', 'reservation-id',
      'security-groups',
    ].join('\n'));
    assert.equal(findEc2Node(tree, ['instance-id']), 'i-8f1c2d3e');
    assert.equal(findEc2Node(tree, ['ami-id']), 'ami-c0ffee00');
    assert.equal(findEc2Node(tree, ['local-ipv4']), '192.168.7.9');
    assert.equal(findEc2Node(tree, ['public-ipv4']), '172.24.4.10');
    assert.equal(renderEc2Node(findEc2Node(tree, ['public-keys'])!), '0=mykey');
    assert.equal(renderEc2Node(findEc2Node(tree, ['public-keys', '0'])!), 'openssh-key');
    assert.equal(findEc2Node(tree, ['public-keys', '0', 'openssh-key']), KEY);
    assert.equal(findEc2Node(tree, ['public-keys', '0', '_name']), undefined);
    assert.equal(renderEc2Node(findEc2Node(tree, ['placement'])!), 'availability-zone');
    assert.deepEqual(findEc2Node(tree, ['block-device-mapping']), { ami: 'vda', root: '/dev/vda', ephemeral0: '/dev/vdb', ebs0: '/dev/vdc', ebs1: '/dev/vdd' });
    assert.equal(findEc2Node(tree, ['hostname', 'deeper']), undefined);
  });

  it('EC2 local-ipv4 falls back to the guest address when the instance has no fixed IPv4', () => {
    const docs = buildInstanceMetadata(input({ network: { ports: [], subnets: [] }, remoteAddress: '10.9.9.9' }));
    assert.equal(findEc2Node(docs.ec2MetaData, ['local-ipv4']), '10.9.9.9');
    assert.equal(findEc2Node(docs.ec2MetaData, ['public-ipv4']), '');
    assert.deepEqual(docs.networkData, { links: [], networks: [], services: [] });
  });

  it('the config drive has every OpenStack version and latest, and the newest EC2 version and latest', () => {
    const docs = buildInstanceMetadata(input());
    const files = configDriveFiles(docs);
    for (const v of [...OPENSTACK_VERSIONS, 'latest']) {
      assert.deepEqual(JSON.parse(String(files[`openstack/${v}/meta_data.json`])), docs.metaData);
      assert.deepEqual(JSON.parse(String(files[`openstack/${v}/network_data.json`])), docs.networkData);
      assert.equal(files[`openstack/${v}/vendor_data.json`], '{}');
      assert.equal(files[`openstack/${v}/vendor_data2.json`], '{}');
      assert.equal(String(files[`openstack/${v}/user_data`]), '#!/bin/sh\necho hi\n');
    }
    assert.deepEqual(Object.keys(files).filter((f) => f.startsWith('ec2/')).sort(),
      ['ec2/2009-04-04/meta-data.json', 'ec2/2009-04-04/user-data', 'ec2/latest/meta-data.json', 'ec2/latest/user-data']);
    const withoutUserData = configDriveFiles(buildInstanceMetadata(input({ instance: instance({ userData: null }) })));
    assert.equal(Object.keys(withoutUserData).some((f) => /user[-_]data$/.test(f)), false);
  });
});
