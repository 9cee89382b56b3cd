import { BACKEND_API_VERSION, type Backend } from './backend.js';
import { createCpuBackend } from './cpu/cpu-backend.js';
import { DeviceError } from './errors.js';
import { shared } from './shared-state.js';

/** A device name such as `'cpu'` or `'webgpu'`. */
export type Device = string;

const backends = shared('backends', () => new Map<Device, Backend>());
const defaults = shared('defaultDevice', () => ({ name: 'cpu' as Device }));

/**
 * Makes `backend` available as device `backend.name`. Registering a name again
 * replaces the earlier backend (so two copies of a backend package in one
 * install do not collide); the earlier one is returned so the caller may destroy it.
 */
export function registerBackend(backend: Backend): Backend | undefined {
  if (backend.apiVersion !== BACKEND_API_VERSION) {
    throw new DeviceError(
      `registerBackend: backend '${backend.name}' speaks Backend API version ${backend.apiVersion}, this @fathom/core speaks ${BACKEND_API_VERSION}; install matching versions`,
    );
  }
  const previous = backends.get(backend.name);
  backends.set(backend.name, backend);
  return previous === backend ? undefined : previous;
}

/**
 * Registers a backend (or awaits one being created) and makes it the default
 * device for new tensors. Pass a name to switch to an already registered device.
 *
 * ```ts
 * await useDevice('cpu');
 * ```
 */
export async function useDevice(backend: Backend | Promise<Backend> | Device): Promise<Backend> {
  if (typeof backend === 'string') {
    const found = getBackend(backend);
    defaults.name = found.name;
    return found;
  }
  const resolved = await backend;
  registerBackend(resolved);
  defaults.name = resolved.name;
  return resolved;
}

/** The device new tensors go to unless told otherwise (`'cpu'` until {@link useDevice} says else). */
export function defaultDevice(): Device {
  return defaults.name;
}

/** The backend of a registered device; `'cpu'` always exists. Throws {@link DeviceError} naming the registered devices otherwise. */
export function getBackend(device: Device = defaults.name): Backend {
  const found = backends.get(device);
  if (found) return found;
  if (device === 'cpu') {
    // Created on first use rather than at import: importing core has no side effects.
    const cpu = createCpuBackend();
    backends.set('cpu', cpu);
    return cpu;
  }
  const known = ['cpu', ...[...backends.keys()].filter((name) => name !== 'cpu')].join(', ');
  throw new DeviceError(
    `device '${device}' is not registered (registered: ${known}); register it first, e.g. await useDevice(webgpu()) from @fathom/webgpu`,
  );
}

/** Names of the registered devices. */
export function registeredDevices(): Device[] {
  return [...new Set(['cpu', ...backends.keys()])];
}

/** Removes a device (after destroying its backend yourself); the default falls back to `'cpu'`. */
export function unregisterBackend(device: Device): void {
  backends.delete(device);
  if (defaults.name === device) defaults.name = 'cpu';
}
