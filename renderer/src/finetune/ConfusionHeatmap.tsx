// Confusion matrix as a heat map: rows = true class, columns = predicted; colour = share of the
// row (recall per class on the diagonal), the pixel count underneath.
export function ConfusionHeatmap(props: { classes: string[]; confusion: number[][] }) {
  const { classes, confusion } = props;
  const compact = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));
  return (
    <table className="ft-heat" data-testid="confusion-heatmap">
      <thead>
        <tr>
          <th className="axis">true ↓ / predicted →</th>
          {classes.map((c) => (
            <th key={c}>{c}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {confusion.map((row, t) => {
          const total = row.reduce((a, b) => a + b, 0);
          return (
            <tr key={t}>
              <th style={{ textAlign: 'right' }}>{classes[t]}</th>
              {row.map((n, p) => {
                const share = total ? n / total : 0;
                const diag = t === p;
                // Diagonal in green, errors in red; intensity = share of the true class's pixels.
                const bg = diag ? `rgba(63, 185, 80, ${0.12 + 0.8 * share})` : `rgba(248, 81, 73, ${share === 0 ? 0.04 : 0.12 + 0.8 * share})`;
                return (
                  <td key={p} className="hm-cell" style={{ background: bg }} title={`${classes[t]} → ${classes[p]}: ${n.toLocaleString('en-US')} px (${(100 * share).toFixed(2)} % of ${classes[t]})`}>
                    {(100 * share).toFixed(1)}%<small>{compact(n)}</small>
                  </td>
                );
              })}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function PerClassTable(props: { classes: string[]; iou: (number | null)[]; dice: (number | null)[]; testId?: string; compare?: { iou: (number | null)[]; dice: (number | null)[] } }) {
  const f = (v: number | null | undefined) => (v === null || v === undefined ? '–' : (100 * v).toFixed(1));
  return (
    <table className="ft-table" data-testid={props.testId}>
      <thead>
        <tr>
          <th>Class</th>
          <th className="num">IoU %</th>
          <th className="num">Dice %</th>
          {props.compare && <th className="num">IoU % (B)</th>}
          {props.compare && <th className="num">Dice % (B)</th>}
          <th style={{ width: '30%' }} />
        </tr>
      </thead>
      <tbody>
        {props.classes.map((c, k) => (
          <tr key={c}>
            <td>{c}</td>
            <td className="num">{f(props.iou[k])}</td>
            <td className="num">{f(props.dice[k])}</td>
            {props.compare && <td className="num">{f(props.compare.iou[k])}</td>}
            {props.compare && <td className="num">{f(props.compare.dice[k])}</td>}
            <td>
              <span className="ft-bar" style={{ width: `${Math.round(100 * (props.iou[k] ?? 0))}%` }} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
