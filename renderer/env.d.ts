// Ambient types for the renderer: Vite's client types (CSS imports, import.meta.env) and the API the
// preload exposes. Optional on purpose: in a plain browser there is no preload and no `fleettune`.

/// <reference types="vite/client" />

import type { FleetTuneApi } from '../main/ipc/contract';

declare global {
  interface Window {
    fleettune?: FleetTuneApi;
  }
}
