/** Inline SVG charts: a sparkline and a metric-vs-baseline line chart with the trip point marked. */

interface Point {
  at: string;
  value: number | null;
}

function extent(values: number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    lo = lo === 0 ? 0 : lo * 0.9;
    hi = hi === 0 ? 1 : hi * 1.1;
  }
  return [lo, hi];
}

function path(points: [number, number][]): string {
  let d = '';
  let pen = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(y)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
    pen = true;
  }
  return d;
}

export function Sparkline({
  points,
  baseline = [],
  label,
  width = 160,
  height = 36,
}: {
  points: Point[];
  /** Drawn dashed behind the metric, on the same scale. */
  baseline?: Point[];
  label: string;
  width?: number;
  height?: number;
}) {
  const finite = (ps: Point[]) => ps.map((p) => p.value).filter((v): v is number => v !== null && Number.isFinite(v));
  const [lo, hi] = extent([...finite(points), ...finite(baseline)]);
  const toXY = (ps: Point[]) => {
    const n = Math.max(1, ps.length - 1);
    return ps.map((p, i): [number, number] => [
      (i / n) * (width - 4) + 2,
      p.value === null ? NaN : height - 3 - ((p.value - lo) / (hi - lo)) * (height - 6),
    ]);
  };
  const xy = toXY(points);
  const last = [...xy].reverse().find(([, y]) => Number.isFinite(y));
  return (
    <svg
      className="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
    >
      {baseline.length > 0 ? (
        <path d={path(toXY(baseline))} fill="none" stroke="#6b7280" strokeWidth="1" strokeDasharray="3 3" />
      ) : null}
      <path d={path(xy)} fill="none" stroke="currentColor" strokeWidth="1.6" />
      {last ? <circle cx={last[0]} cy={last[1]} r="2.5" fill="currentColor" /> : null}
    </svg>
  );
}

export function MetricChart({
  series,
  tripPoint,
  label,
  format = (v) => v.toPrecision(3),
  width = 720,
  height = 240,
}: {
  series: { at: string; value: number | null; baseline: number | null }[];
  tripPoint?: { at: string; value: number; baseline?: number } | null;
  label: string;
  format?: (v: number) => string;
  width?: number;
  height?: number;
}) {
  const pad = { l: 56, r: 16, t: 16, b: 28 };
  const times = series.map((s) => new Date(s.at).getTime());
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + 1);
  const vals = series
    .flatMap((s) => [s.value, s.baseline])
    .filter((v): v is number => v !== null && Number.isFinite(v));
  if (tripPoint) vals.push(tripPoint.value);
  const [lo0, hi] = extent(vals);
  const lo = Math.min(0, lo0);
  const x = (t: number) => pad.l + ((t - t0) / (t1 - t0)) * (width - pad.l - pad.r);
  const y = (v: number) => height - pad.b - ((v - lo) / (hi - lo)) * (height - pad.t - pad.b);
  const valuePath = path(series.map((s, i) => [x(times[i]!), s.value === null ? NaN : y(s.value)]));
  const basePath = path(series.map((s, i) => [x(times[i]!), s.baseline === null ? NaN : y(s.baseline)]));
  const ticks = [lo, lo + (hi - lo) / 2, hi];
  const tp = tripPoint ? { cx: x(new Date(tripPoint.at).getTime()), cy: y(tripPoint.value) } : undefined;
  const day = (t: number) => new Date(t).toISOString().slice(5, 10);
  return (
    <figure className="chart">
      <svg width="100%" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
        {ticks.map((v) => (
          <g key={v}>
            <line x1={pad.l} x2={width - pad.r} y1={y(v)} y2={y(v)} className="grid" />
            <text x={pad.l - 6} y={y(v) + 4} textAnchor="end" className="axis">
              {format(v)}
            </text>
          </g>
        ))}
        <text x={pad.l} y={height - 8} className="axis">
          {series.length ? day(t0) : ''}
        </text>
        <text x={width - pad.r} y={height - 8} textAnchor="end" className="axis">
          {series.length ? day(t1) : ''}
        </text>
        <path d={basePath} className="baseline" fill="none" />
        <path d={valuePath} className="value" fill="none" />
        {tp ? (
          <g className="trip">
            <line x1={tp.cx} x2={tp.cx} y1={pad.t} y2={height - pad.b} />
            <circle cx={tp.cx} cy={tp.cy} r="5" />
            <text x={tp.cx - 6} y={pad.t + 10} textAnchor="end">
              tripped
            </text>
          </g>
        ) : null}
      </svg>
      <figcaption>
        <span className="legend value">metric</span> <span className="legend baseline">baseline</span>
        {tp ? <span className="legend trip">trip point</span> : null}
      </figcaption>
    </figure>
  );
}
