// What the network agent's heartbeat (Neutron's report_state) says this host runs: its L3 agent (with l3), its DHCP
// agent (with dhcp) and, with the linuxbridge data plane, its Linux bridge agent — each as Neutron names them, so
// `openstack network agent list` shows what an operator of Neutron expects.
import type { AgentState } from '../rpc/agent-rpc.ts';

export interface AgentStateInput {
  driver: string;
  dhcp: boolean;
  l3: boolean;
  /** Routers this host's L3 side has wired now. */
  routers: number;
}

export function agentStates(input: AgentStateInput): AgentState[] {
  const base = { data_plane_driver: input.driver };
  const states: AgentState[] = [];
  if (input.l3) states.push({ agentType: 'L3 agent', binary: 'neutron-l3-agent', topic: 'l3_agent', availabilityZone: 'nova', configurations: { ...base, agent_mode: 'legacy', routers: input.routers } });
  if (input.dhcp) states.push({ agentType: 'DHCP agent', binary: 'neutron-dhcp-agent', topic: 'dhcp_agent', availabilityZone: 'nova', configurations: { ...base, dhcp_driver: 'dnsmasq' } });
  if (input.driver === 'linuxbridge') states.push({ agentType: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent', topic: 'N/A', availabilityZone: null, configurations: base });
  return states;
}
