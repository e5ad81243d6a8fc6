// Neutron's exceptions with their own type names and message texts: clients match on both
// ({"NeutronError": {"type": "NetworkNotFound", ...}}), so `code` carries Neutron's exception class name.
import { StratusError } from '#lib/errors.ts';

export class NeutronError extends StratusError {}

const e = (status: number, type: string, message: string): NeutronError => new NeutronError(status, type, message);

export const badRequest = (resource: string, msg: string): NeutronError =>
  e(400, 'BadRequest', `Bad ${resource} request: ${msg}.`);
export const invalidInput = (msg: string): NeutronError => e(400, 'InvalidInput', `Invalid input for operation: ${msg}.`);
export const notFound = (kind: string, id: string): NeutronError => {
  const noun: Record<string, string> = {
    Network: 'Network', Subnet: 'Subnet', Port: 'Port', Router: 'Router', FloatingIP: 'Floating IP',
    SecurityGroup: 'Security group', SecurityGroupRule: 'Security group rule',
  };
  return e(404, `${kind}NotFound`, `${noun[kind] ?? kind} ${id} could not be found.`);
};
export const networkInUse = (id: string): NeutronError =>
  e(409, 'NetworkInUse', `Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`);
export const subnetInUse = (id: string): NeutronError =>
  e(409, 'SubnetInUse', `Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet.`);
export const ipAddressInUse = (networkId: string, ip: string): NeutronError =>
  e(409, 'IpAddressInUse', `Unable to complete operation for network ${networkId}. The IP address ${ip} is in use.`);
export const ipAddressGenerationFailure = (networkId: string): NeutronError =>
  e(409, 'IpAddressGenerationFailure', `No more IP addresses available on network ${networkId}.`);
export const macAddressInUse = (networkId: string, mac: string): NeutronError =>
  e(409, 'MacAddressInUse', `Unable to complete operation for network ${networkId}. The mac address ${mac} is in use.`);
export const invalidIpForSubnet = (ip: string): NeutronError =>
  e(400, 'InvalidIpForSubnet', `IP address ${ip} is not a valid IP for the specified subnet.`);
export const invalidIpForNetwork = (ip: string): NeutronError =>
  e(400, 'InvalidIpForNetwork', `IP address ${ip} is not a valid IP for any of the subnets on the specified network.`);
export const overQuota = (resources: string[]): NeutronError =>
  e(409, 'OverQuota', `Quota exceeded for resources: [${resources.map((r) => `'${r}'`).join(', ')}].`);
export const revisionConflict = (expected: number, current: number): NeutronError =>
  e(412, 'RevisionNumberConstraintFailed', `Constrained to ${expected}, but current revision is ${current}`);
export const policyNotAuthorized = (rule: string): NeutronError =>
  e(403, 'PolicyNotAuthorized', `(rule:${rule}) is disallowed by policy`);
export const securityGroupRuleExists = (id: string): NeutronError =>
  e(409, 'SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${id}.`);
export const securityGroupInUse = (id: string): NeutronError =>
  e(409, 'SecurityGroupInUse', `Security Group ${id} in use.`);
export const securityGroupConflict = (reason: string): NeutronError =>
  e(409, 'SecurityGroupConflict', `Error ${reason} while attempting the operation.`);
export const cannotDeleteDefaultSecurityGroup = (): NeutronError =>
  e(409, 'SecurityGroupCannotRemoveDefault', 'Insufficient rights for removing default security group.');
export const routerInUse = (id: string): NeutronError =>
  e(409, 'RouterInUse', `Router ${id} still has ports`);
export const routerInterfaceExists = (routerId: string, subnetId: string): NeutronError =>
  e(400, 'BadRequest', `Bad router request: Router ${routerId} already has a port on subnet ${subnetId}.`);
export const routerInterfaceNotFoundForSubnet = (routerId: string, subnetId: string): NeutronError =>
  e(404, 'RouterInterfaceNotFoundForSubnet', `Router ${routerId} has no interface on subnet ${subnetId}`);
export const routerInterfaceNotFound = (routerId: string, portId: string): NeutronError =>
  e(404, 'RouterInterfaceNotFound', `Router ${routerId} does not have an interface with id ${portId}`);
export const externalGatewayForFloatingIpNotFound = (subnetId: string, externalNetworkId: string, portId: string): NeutronError =>
  e(404, 'ExternalGatewayForFloatingIPNotFound',
    `External network ${externalNetworkId} is not reachable from subnet ${subnetId}.  Therefore, cannot associate Port ${portId} with a Floating IP.`);
export const floatingIpPortAlreadyAssociated = (fipId: string, portId: string, ip: string): NeutronError =>
  e(409, 'FloatingIPPortAlreadyAssociated',
    `Cannot associate floating IP ${ip} (${fipId}) with port ${portId} using fixed IP, as that fixed IP already has a floating IP on external network.`);
export const networkNotExternal = (id: string): NeutronError =>
  e(400, 'BadRequest', `Bad floatingip request: Network ${id} is not a valid external network.`);
export const segmentationIdsExhausted = (): NeutronError =>
  e(503, 'NoNetworkAvailable', 'Unable to create the network. No tenant network is available for allocation.');
export const segmentInUse = (type: string, id: number): NeutronError =>
  e(409, 'TunnelIdInUse', `Unable to create the network. The ${type} segmentation ID ${id} is in use.`);
