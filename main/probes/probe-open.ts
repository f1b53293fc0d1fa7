// The result of opening a counter-style probe: the probe, or the reason it cannot measure here
// (shown to the user as the "not measured" note). Shared by the energy probes in this folder.
// A value, not an exception: a machine without RAPL or a battery is normal, not an error.

export type ProbeOpen<T> = { ok: true; probe: T } | { ok: false; reason: string };
