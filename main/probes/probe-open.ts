// The result of opening a counter-style probe: the probe, or the reason it cannot measure here
// (shown to the user as the "not measured" note). Shared by the energy probes in this folder.

export type ProbeOpen<T> = { ok: true; probe: T } | { ok: false; reason: string };
