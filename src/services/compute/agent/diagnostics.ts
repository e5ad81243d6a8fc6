// get_diagnostics: a running guest's counters from the driver, with what the server's record knows added — whether
// it has a config drive and, when the driver cannot tell, how long since it was launched (as Nova's libvirt driver
// does). Only a running guest answers, as in Nova: anything else is a Conflict naming its power state.
import type { BusContext } from '#lib/bus/index.ts';
import { Conflict, NotFound, StratusError } from '#lib/errors.ts';
import type { InstanceDiagnostics } from '../domain/instance-diagnostics.ts';
import type { AgentDeps } from './agent-deps.ts';

export async function getDiagnostics(deps: AgentDeps, ctx: BusContext, uuid: string): Promise<InstanceDiagnostics> {
  // Nova answers 501 when the virt driver has no diagnostics.
  if (!deps.driver.diagnostics) throw new StratusError(501, 'NotImplemented', `Diagnostics are not supported by the ${deps.driver.type} driver.`);
  const instance = await deps.conductor.call('instance_get', { uuid }, ctx);
  if (!instance) throw new NotFound(`Instance ${uuid} could not be found.`);
  const power = await deps.driver.powerState({ uuid });
  if (power !== 'running') throw new Conflict(`Cannot 'get_diagnostics' instance ${uuid} while it is in power state ${power ?? 'pending'}`);
  const found = await deps.driver.diagnostics({ uuid });
  const launched = instance.launchedAt ? Date.parse(instance.launchedAt) : NaN;
  return {
    ...found,
    uptime: found.uptime ?? (Number.isNaN(launched) ? null : Math.max(0, Math.floor((Date.now() - launched) / 1000))),
    configDrive: instance.configDrive || deps.configDrive.force,
  };
}
