// Tests of main/transports/registry.ts: 'local' is created from the map; 'adb' and 'appium' are
// known kinds that say they are later issues; unknown kinds are named in the error.
import { describe, expect, it } from 'vitest';
import { LocalTransport } from '../../../main/transports/local-transport';
import { availableTransports, createTransport, transportRegistry } from '../../../main/transports/registry';
import { transportCapabilities } from '../../../main/transports/device-transport';

describe('transport registry', () => {
  it('creates the local transport with every capability', () => {
    const t = createTransport('local', {});
    expect(t).toBeInstanceOf(LocalTransport);
    expect(t.kind).toBe('local');
    expect(transportCapabilities(t)).toEqual(['memory', 'energy', 'thermal', 'battery']);
    expect(availableTransports()).toEqual(['local']);
  });

  it('says adb and appium are not implemented yet', () => {
    expect(Object.keys(transportRegistry)).toEqual(['local', 'adb', 'appium']);
    expect(() => createTransport('adb', {})).toThrow("the adb transport is not implemented yet (Android phones over adb: a later issue); only 'local' (this computer) is available");
    expect(() => createTransport('appium', {})).toThrow(/the appium transport is not implemented yet/);
    expect(() => createTransport('ssh' as never, {} as never)).toThrow('unknown transport kind "ssh"; known: local, adb, appium');
  });
});
