// What an agent (and its data-plane driver) needs to wire one port: sent by the server, never read from the database.
export interface AgentFixedIp { subnetId: string; ipAddress: string }

/** What an agent needs to wire one port. */
export interface PortDetails {
  portId: string;
  networkId: string;
  macAddress: string;
  fixedIps: AgentFixedIp[];
  adminStateUp: boolean;
  deviceOwner: string;
  deviceId: string;
  hostId: string;
  portSecurityEnabled: boolean;
  securityGroupIds: string[];
  allowedAddressPairs: { ipAddress: string; macAddress: string }[];
  network: { networkType: string; physicalNetwork: string | null; segmentationId: number | null; mtu: number };
}
