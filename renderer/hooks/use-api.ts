// React hooks over the ApiClient: the client from context, a channel's answer kept as state
// (loading, error a person can read, reload), and a subscription to a pushed event that ends with
// the component. Pages use these; they never touch IPC, fetch or WebSocket themselves.
import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import type { Channel, EventChannel, InvokeArgs, IpcEvents, IpcResponse } from '../../main/ipc/contract';
import type { ApiClient } from '../api/api-client';

export const ApiContext = createContext<ApiClient | undefined>(undefined);

export function useApi(): ApiClient | undefined {
  return useContext(ApiContext);
}

export interface Invoked<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload(): void;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Invokes `channel` when the payload changes (compared as JSON) and on reload(). */
export function useInvoke<C extends Channel>(channel: C, ...payload: InvokeArgs<C>): Invoked<IpcResponse<C>> {
  const api = useApi();
  const [state, setState] = useState<{ data?: IpcResponse<C>; error: string | null; loading: boolean }>({ error: null, loading: !!api });
  const [nonce, setNonce] = useState(0);
  const key = JSON.stringify(payload[0] ?? null);
  useEffect(() => {
    if (!api) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    const body = JSON.parse(key) as unknown;
    api.invoke(channel, ...(body === null ? [] : [body]) as InvokeArgs<C>).then(
      (data) => live && setState({ data, error: null, loading: false }),
      (e: unknown) => live && setState((s) => ({ data: s.data, error: errorText(e), loading: false })),
    );
    return () => {
      live = false;
    };
  }, [api, channel, key, nonce]);
  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Calls `listener` for every pushed `event` while mounted; the latest listener is always used. */
export function useEvent<E extends EventChannel>(event: E, listener: (payload: IpcEvents[E]) => void): void {
  const api = useApi();
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => {
    if (!api) return;
    return api.subscribe(event, (p) => ref.current(p));
  }, [api, event]);
}
