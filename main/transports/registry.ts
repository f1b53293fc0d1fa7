// The transport registry: one factory per kind, so the fleet and the runner create transports
// without knowing their classes. Only 'local' exists; 'adb' and 'appium' are registered as later
// issues and say so when asked for. Not device discovery (fleet/ providers do that).
import type { DeviceTransport, TransportKind } from './device-transport';
import { LocalTransport, type LocalTransportOptions } from './local-transport';

/** Options each kind's factory takes; adb and appium define theirs when they land. */
export interface TransportOptions {
  local: LocalTransportOptions;
  adb: Record<string, unknown>;
  appium: Record<string, unknown>;
}

type Factory<K extends TransportKind> = (options: TransportOptions[K]) => DeviceTransport;

function notYet(kind: TransportKind, what: string): Factory<TransportKind> {
  return () => {
    throw new Error(`the ${kind} transport is not implemented yet (${what}); only 'local' (this computer) is available`);
  };
}

export const transportRegistry: { [K in TransportKind]: { available: boolean; create: Factory<K> } } = {
  local: { available: true, create: (options) => new LocalTransport(options) },
  adb: { available: false, create: notYet('adb', 'Android phones over adb: a later issue') },
  appium: { available: false, create: notYet('appium', 'iOS / Android through Appium: a later issue') },
};

export function createTransport<K extends TransportKind>(kind: K, options: TransportOptions[K]): DeviceTransport {
  const entry = transportRegistry[kind] as { available: boolean; create: Factory<K> } | undefined;
  if (!entry) throw new Error(`unknown transport kind "${String(kind)}"; known: ${Object.keys(transportRegistry).join(', ')}`);
  return entry.create(options);
}

export function availableTransports(): TransportKind[] {
  return (Object.keys(transportRegistry) as TransportKind[]).filter((k) => transportRegistry[k].available);
}
