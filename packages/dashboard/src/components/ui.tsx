/** Shared bits: status lights, badges, time, errors, dialogs. Plain elements, no UI kit. */
import { useEffect, useId, useRef, type ReactNode } from 'react';
import type { ApiError, AgentStatus } from '../api.js';

const STATUS_TEXT: Record<AgentStatus, string> = {
  running: 'Running',
  waiting: 'Waiting on people',
  paused: 'Paused',
  breaker_open: 'Breaker open',
};

export function StatusLight({ status }: { status: AgentStatus }) {
  return (
    <span className={`status status-${status}`} data-status={status}>
      <span className="light" aria-hidden="true" />
      {STATUS_TEXT[status] ?? status}
    </span>
  );
}

const TONE: Record<string, string> = {
  executed: 'ok',
  approved: 'ok',
  closed: 'ok',
  allow: 'ok',
  pass: 'ok',
  pending_approval: 'warn',
  pending: 'warn',
  require_approval: 'warn',
  half_open: 'warn',
  shadowed: 'info',
  observe: 'info',
  gated: 'info',
  autonomous: 'neutral',
  revision_requested: 'warn',
  denied: 'bad',
  deny: 'bad',
  rejected: 'bad',
  failed: 'bad',
  fail: 'bad',
  breaker_open: 'bad',
  open: 'bad',
  forced_open: 'bad',
  paused: 'bad',
  expired: 'muted',
  void: 'muted',
  stale: 'muted',
  rolled_back: 'muted',
  disabled: 'muted',
  irreversible: 'bad',
  compensatable: 'warn',
  reversible: 'ok',
};

export function Badge({ value, label }: { value: string; label?: string }) {
  return <span className={`badge tone-${TONE[value] ?? 'neutral'}`}>{label ?? value.replaceAll('_', ' ')}</span>;
}

export function Age({ at, now = Date.now() }: { at: string | null | undefined; now?: number }) {
  if (!at) return <span className="muted">—</span>;
  const ms = now - new Date(at).getTime();
  return (
    <time dateTime={at} title={new Date(at).toLocaleString()}>
      {formatAge(ms)}
    </time>
  );
}

export function formatAge(ms: number): string {
  const future = ms < 0;
  const s = Math.abs(ms) / 1000;
  const text =
    s < 60
      ? `${Math.round(s)} s`
      : s < 3600
        ? `${Math.round(s / 60)} min`
        : s < 86_400
          ? `${Math.round(s / 3600)} h`
          : `${Math.round(s / 86_400)} d`;
  return future ? `in ${text}` : `${text} ago`;
}

export function ErrorNote({ error, what }: { error: ApiError; what: string }) {
  return (
    <div className="error-note" role="alert">
      <strong>Could not load {what}.</strong> {error.message} <code>{error.code}</code>
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

/** A modal dialog on the native <dialog>: focus moves in, Escape closes, focus returns. */
export function Dialog({
  title,
  open,
  onClose,
  children,
}: {
  title: string;
  open: boolean;
  onClose: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={onClose} onCancel={onClose}>
      <h2 id={titleId}>{title}</h2>
      {open ? children : null}
    </dialog>
  );
}

export function KeyValue({ entries }: { entries: [string, ReactNode][] }) {
  return (
    <dl className="kv">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Renders any JSON-ish value compactly (evidence, params): arrays as lists, objects as nested key/value. */
export function JsonValue({ value, depth = 0 }: { value: unknown; depth?: number }) {
  if (value === null || value === undefined) return <span className="muted">—</span>;
  if (typeof value === 'number') return <>{Number.isInteger(value) ? value.toLocaleString() : value.toPrecision(4)}</>;
  if (typeof value === 'string' || typeof value === 'boolean') return <>{String(value)}</>;
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="muted">none</span>;
    if (value.every((v) => typeof v !== 'object' || v === null)) return <>{value.map(String).join(', ')}</>;
  }
  if (depth >= 2 || Array.isArray(value)) return <code className="json">{JSON.stringify(value)}</code>;
  return (
    <dl className="kv nested">
      {Object.entries(value as Record<string, unknown>).map(([k, v]) => (
        <div key={k}>
          <dt>{k.replaceAll('_', ' ')}</dt>
          <dd>
            <JsonValue value={v} depth={depth + 1} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function pct(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}
