// A small SVG line chart (no chart library): a few series over a shared x axis, nice y ticks.
export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

function niceTicks(min: number, max: number, n = 4): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + 1e-12; v += step) out.push(Number(v.toPrecision(6)));
  return out;
}

export function LineChart(props: { title: string; series: Series[]; xMin?: number; yMin?: number; yMax?: number; xLabel?: string; format?: (v: number) => string; testId?: string }) {
  const W = 460;
  const H = 170;
  const L = 40;
  const R = 10;
  const T = 8;
  const B = 22;
  const all = props.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p[1]));
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const x0 = props.xMin ?? (xs.length ? Math.min(...xs) : 0);
  const x1 = xs.length ? Math.max(...xs, x0 + 1) : 1;
  let y0 = props.yMin ?? (ys.length ? Math.min(...ys) : 0);
  let y1 = props.yMax ?? (ys.length ? Math.max(...ys) : 1);
  if (!(y1 > y0)) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const sx = (x: number) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
  const sy = (y: number) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const fmt = props.format ?? ((v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3)));
  return (
    <div className="ft-chart" data-testid={props.testId} data-points={all.length}>
      <div className="ft-chart-title">
        <span>{props.title}</span>
        <span className="legend">
          {props.series.map((s) => (
            <span key={s.name}>
              <i style={{ background: s.color }} />
              {s.name}
            </span>
          ))}
        </span>
      </div>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={props.title}>
        {niceTicks(y0, y1).map((t) => (
          <g key={t}>
            <line className="grid" x1={L} x2={W - R} y1={sy(t)} y2={sy(t)} />
            <text x={L - 5} y={sy(t) + 3} textAnchor="end">
              {fmt(t)}
            </text>
          </g>
        ))}
        {niceTicks(x0, x1, 5)
          .filter((t) => Number.isInteger(t))
          .map((t) => (
            <text key={t} x={sx(t)} y={H - 6} textAnchor="middle">
              {t}
            </text>
          ))}
        <line className="axis" x1={L} x2={W - R} y1={H - B} y2={H - B} />
        {all.length === 0 && (
          <text className="empty-chart" x={(L + W) / 2} y={H / 2} textAnchor="middle">
            waiting for data…
          </text>
        )}
        {props.series.map((s) => {
          const pts = s.points.filter((p) => Number.isFinite(p[1]));
          if (pts.length === 0) return null;
          const d = pts.map((p, i) => `${i ? 'L' : 'M'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join('');
          return (
            <g key={s.name}>
              <path d={d} fill="none" stroke={s.color} strokeWidth={1.8} vectorEffect="non-scaling-stroke" />
              {pts.length <= 60 && pts.map((p, i) => <circle key={i} cx={sx(p[0])} cy={sy(p[1])} r={2.4} fill={s.color} />)}
            </g>
          );
        })}
      </svg>
    </div>
  );
}
