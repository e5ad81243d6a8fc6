// What the conductor and compute-api cast to one host's agent (topic compute, server = the host's name).
import { defineRpc } from '#lib/bus/index.ts';

type Cast<A> = { kind: 'cast'; args: A; result: void };

export type AgentMethods = {
  build_and_run_instance: Cast<{ uuid: string }>;
  terminate_instance: Cast<{ uuid: string }>;
  stop_instance: Cast<{ uuid: string }>;
  start_instance: Cast<{ uuid: string }>;
  reboot_instance: Cast<{ uuid: string; hard: boolean }>;
  pause_instance: Cast<{ uuid: string }>;
  unpause_instance: Cast<{ uuid: string }>;
  suspend_instance: Cast<{ uuid: string }>;
  resume_instance: Cast<{ uuid: string }>;
  attach_volume: Cast<{ uuid: string; volumeId: string; attachmentId: string; device: string }>;
  detach_volume: Cast<{ uuid: string; volumeId: string; attachmentId: string }>;
  /** The guest's console log (a call: the API answers with it). */
  get_console_output: { kind: 'call'; args: { uuid: string }; result: string };
};

export const agentRpc = defineRpc<AgentMethods>('compute', '1.0');
