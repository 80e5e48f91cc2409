/** Small hooks: hash routing, data loading, and the live-update tick from `/v1/events`. */
import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { ApiError, type Session } from './api.js';

export interface Route {
  page: string;
  id?: string;
}

export function parseHash(hash: string): Route {
  const parts = hash
    .replace(/^#\/?/, '')
    .split('?')[0]!
    .split('/')
    .filter(Boolean)
    .map((p) => decodeURIComponent(p));
  return { page: parts[0] ?? 'overview', ...(parts[1] ? { id: parts[1] } : {}) };
}

export function href(page: string, id?: string): string {
  return `#/${page}${id ? `/${encodeURIComponent(id)}` : ''}`;
}

export function navigate(page: string, id?: string): void {
  window.location.hash = href(page, id);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export interface Live {
  /** Bumped on every server event (or poll, when the event stream is unavailable). */
  tick: number;
  mode: 'connecting' | 'live' | 'polling';
}

export const LiveContext = createContext<Live>({ tick: 0, mode: 'connecting' });
export const SessionContext = createContext<{ session: Session | null; refresh: () => void }>({
  session: null,
  refresh: () => undefined,
});

export const useLive = () => useContext(LiveContext);
export const useSession = () => useContext(SessionContext);

const POLL_MS = 1_000;

/**
 * Subscribes to `/v1/events` while signed in. Bursts of events are coalesced into one tick per
 * 150 ms. If the stream cannot be opened (an older server answers 404), falls back to polling.
 */
export function useEventStream(enabled: boolean): Live {
  const [tick, setTick] = useState(0);
  const [mode, setMode] = useState<Live['mode']>('connecting');
  useEffect(() => {
    if (!enabled) return;
    let timer: number | undefined;
    let poll: number | undefined;
    let closed = false;
    const bump = () => {
      if (timer !== undefined) return;
      timer = window.setTimeout(() => {
        timer = undefined;
        setTick((t) => t + 1);
      }, 150);
    };
    const es = new EventSource('/v1/events', { withCredentials: true });
    for (const kind of ['action', 'approval', 'breaker', 'agent', 'audit', 'message']) es.addEventListener(kind, bump);
    es.onopen = () => setMode('live');
    es.onerror = () => {
      if (closed) return;
      if (es.readyState === EventSource.CLOSED && poll === undefined) {
        setMode('polling');
        poll = window.setInterval(() => setTick((t) => t + 1), POLL_MS);
      }
    };
    return () => {
      closed = true;
      es.close();
      if (timer !== undefined) window.clearTimeout(timer);
      if (poll !== undefined) window.clearInterval(poll);
    };
  }, [enabled]);
  return { tick, mode };
}

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads `fn()` when `key` changes and again on every live tick (when `live` is set). Keeps the
 * previous data while refetching, so live updates never flash an empty page.
 */
export function useData<T>(fn: () => Promise<T>, key: string, live = false): Loaded<T> {
  const { tick } = useLive();
  const { refresh } = useSession();
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(true);
  const [nonce, setNonce] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const lastKey = useRef(key);
  const liveTick = live ? tick : 0;
  useEffect(() => {
    let cancelled = false;
    if (lastKey.current !== key) {
      lastKey.current = key;
      setData(undefined);
    }
    setLoading(true);
    fnRef.current().then(
      (d) => {
        if (cancelled) return;
        setData(d);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (cancelled) return;
        const err = e instanceof ApiError ? e : new ApiError(0, 'client_error', String(e));
        setError(err);
        setLoading(false);
        // An expired or ended session: ask again, which shows the sign-in page.
        if (err.status === 401) refresh();
      },
    );
    return () => {
      cancelled = true;
    };
  }, [key, liveTick, nonce, refresh]);
  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { data, error, loading, reload };
}
