// Styles of the fine-tune, runs and batch pages, on the app's theme variables (styles.css). Kept in
// their own module and added once, so these pages add no lines to the shared stylesheet.
const CSS = `
.ft-page { display: flex; gap: 16px; padding: 18px; overflow: auto; height: 100%; align-items: flex-start; }
.ft-col { display: flex; flex-direction: column; gap: 16px; min-width: 0; }
.ft-col.side { flex: 0 0 400px; }
.ft-col.main { flex: 1; }
.ft-page .panel { align-self: stretch; flex: none; }
.ft-page .panel h3 { font-size: 11px; text-transform: uppercase; letter-spacing: 0.08em; color: var(--text-3); margin: 14px 0 8px; font-weight: 600; }
.ft-preset-label { font-size: 15px; font-weight: 600; margin: 2px 0 8px; }
.ft-reasons { margin: 0; padding-left: 16px; color: var(--text-2); display: flex; flex-direction: column; gap: 4px; }
.ft-facts { display: grid; grid-template-columns: auto 1fr; gap: 3px 14px; margin: 0; font-size: 12px; }
.ft-facts dt { color: var(--text-3); }
.ft-facts dd { margin: 0; font-variant-numeric: tabular-nums; }
.ft-actions { display: flex; gap: 8px; align-items: center; margin-top: 14px; flex-wrap: wrap; }
.ft-actions .primary { padding: 7px 18px; }
.ft-advanced { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 12px; margin-top: 10px; }
.ft-advanced label { display: flex; flex-direction: column; gap: 3px; color: var(--text-2); font-size: 11px; }
.ft-advanced label.check { flex-direction: row; align-items: center; gap: 6px; font-size: 12px; }
.ft-advanced input, .ft-advanced select, .ft-advanced textarea { width: 100%; color: var(--text); }
.ft-advanced textarea { grid-column: 1 / -1; background: var(--bg); border: 1px solid var(--line); border-radius: var(--radius); font: 12px ui-monospace, 'DejaVu Sans Mono', monospace; padding: 6px; min-height: 54px; }
.ft-advanced .span2 { grid-column: 1 / -1; }
.ft-advanced input[type='number'] { background: var(--bg); border: 1px solid var(--line); border-radius: var(--radius); padding: 4px 7px; outline: none; }
.ft-run-head { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
.ft-run-head h2 { margin: 0; font-size: 15px; }
.ft-progress { height: 10px; border-radius: 5px; background: var(--bg); border: 1px solid var(--line); overflow: hidden; margin: 12px 0 6px; }
.ft-progress > div { height: 100%; background: linear-gradient(90deg, var(--accent-2), var(--accent)); transition: width 0.3s ease; }
.ft-progress.done > div { background: var(--ok); }
.ft-progress.failed > div { background: var(--bad); }
.ft-progress.partial > div { background: var(--warn); }
.ft-stats { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 8px; margin: 10px 0 4px; }
.ft-stat { background: var(--bg); border: 1px solid var(--line); border-radius: var(--radius); padding: 7px 10px; }
.ft-stat .k { color: var(--text-3); font-size: 10px; text-transform: uppercase; letter-spacing: 0.06em; }
.ft-stat .v { font-size: 15px; font-weight: 600; font-variant-numeric: tabular-nums; margin-top: 2px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.ft-charts { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; margin-top: 10px; }
.ft-chart { background: var(--bg); border: 1px solid var(--line); border-radius: var(--radius); padding: 8px 10px 4px; }
.ft-chart-title { display: flex; gap: 12px; align-items: center; font-size: 12px; color: var(--text-2); margin-bottom: 4px; }
.ft-chart-title .legend { display: flex; gap: 10px; margin-left: auto; font-size: 11px; }
.ft-chart-title .legend i { display: inline-block; width: 10px; height: 3px; border-radius: 2px; margin-right: 4px; vertical-align: middle; }
.ft-chart svg { display: block; width: 100%; height: 170px; }
.ft-chart .axis { stroke: var(--line); stroke-width: 1; }
.ft-chart .grid { stroke: #262a2f; stroke-width: 1; }
.ft-chart text { fill: var(--text-3); font-size: 10px; font-family: system-ui, sans-serif; }
.ft-chart .empty-chart { fill: var(--text-3); font-size: 12px; }
table.ft-table { width: 100%; border-collapse: collapse; font-size: 12px; font-variant-numeric: tabular-nums; }
table.ft-table th { text-align: left; color: var(--text-3); font-weight: 600; font-size: 11px; text-transform: uppercase; letter-spacing: 0.04em; padding: 6px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
table.ft-table td { padding: 6px 8px; border-bottom: 1px solid #2a2d32; white-space: nowrap; }
table.ft-table td.num, table.ft-table th.num { text-align: right; }
table.ft-table tr.sel td { background: #1c2736; }
table.ft-table tbody tr:hover td { background: var(--bg-3); cursor: pointer; }
table.ft-table td.name { max-width: 260px; overflow: hidden; text-overflow: ellipsis; }
.ft-bar { display: inline-block; height: 6px; border-radius: 3px; background: var(--accent); vertical-align: middle; margin-right: 6px; }
.st { font-size: 10px; padding: 2px 7px; border-radius: 9px; text-transform: uppercase; letter-spacing: 0.05em; background: var(--bg-4); color: var(--text-2); }
.st.running, .st.live { background: #1f3a5c; color: #9cc4ff; }
.st.completed { background: #22402a; color: #8fdc9c; }
.st.failed { background: #4d1f1f; color: #ff9b95; }
.st.cancelled, .st.interrupted, .st.completed-with-failures { background: #4b3a16; color: #f2c66d; }
.st.active { background: #3d2f5c; color: #d2bcff; }
.ft-heat { border-collapse: separate; border-spacing: 2px; font-size: 11px; font-variant-numeric: tabular-nums; }
.ft-heat td, .ft-heat th { padding: 0; }
.ft-heat td.hm-cell { width: 74px; height: 40px; text-align: center; border-radius: 4px; color: #fff; }
.ft-heat td.hm-cell small { display: block; opacity: 0.75; font-size: 10px; }
.ft-heat th { color: var(--text-2); font-weight: 500; padding: 0 6px; white-space: nowrap; }
.ft-heat th.axis { color: var(--text-3); font-size: 10px; text-transform: uppercase; letter-spacing: 0.06em; }
.ft-compare-head { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.ft-compare-card { background: var(--bg); border: 1px solid var(--line); border-radius: var(--radius); padding: 10px 12px; }
.ft-compare-card .big { font-size: 22px; font-weight: 700; font-variant-numeric: tabular-nums; }
.ft-compare-card.a { border-top: 3px solid #3d8bfd; }
.ft-compare-card.b { border-top: 3px solid #f0883e; }
.delta.up { color: var(--ok); }
.delta.down { color: var(--bad); }
.ft-scroll { max-height: 420px; overflow: auto; border: 1px solid var(--line); border-radius: var(--radius); }
.ft-scroll table.ft-table th { position: sticky; top: 0; background: var(--bg-2); }
.ft-note { color: var(--text-3); font-size: 12px; margin: 6px 0 0; }
.ft-form { display: grid; grid-template-columns: 110px 1fr auto; gap: 8px 10px; align-items: center; }
.ft-form > span { color: var(--text-2); font-size: 12px; }
.ft-form input, .ft-form select { width: 100%; }
.ft-form .checks { grid-column: 2 / -1; display: flex; gap: 16px; flex-wrap: wrap; }
.ft-form .checks label { white-space: nowrap; }
.ft-job { border: 1px solid var(--line); border-radius: var(--radius); background: var(--bg); padding: 10px 12px; margin-bottom: 10px; }
.ft-job .paths { color: var(--text-2); font-size: 12px; margin-top: 3px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.ft-job .counts { display: flex; gap: 14px; font-size: 12px; color: var(--text-2); }
.ft-job .counts b { color: var(--text); font-weight: 600; }
.ft-err { color: #ff9b95; white-space: normal !important; }
`;

/**
 * The page's CSP (style-src 'self') refuses <style> elements, so the rules go into the app's own
 * stylesheet through the CSSOM (which CSP does not restrict), or a constructed sheet as a fallback.
 */
function install(): void {
  if (typeof document === 'undefined' || (window as unknown as { __ftStyles?: boolean }).__ftStyles) return;
  (window as unknown as { __ftStyles?: boolean }).__ftStyles = true;
  const rules = CSS.split(/\}\s*\n/).map((r) => r.trim()).filter(Boolean).map((r) => `${r} }`);
  const host = [...document.styleSheets].find((sh) => (sh.href ?? '').endsWith('app.css'));
  if (host) {
    for (const r of rules) {
      try {
        host.insertRule(r, host.cssRules.length);
      } catch {
        /* a rule this browser does not understand */
      }
    }
    return;
  }
  const sheet = new CSSStyleSheet();
  for (const r of rules) {
    try {
      sheet.insertRule(r, sheet.cssRules.length);
    } catch {
      /* ignore */
    }
  }
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}
install();

export const pct = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(digits)}`);

export function duration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '–';
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : m > 0 ? `${m} min ${String(sec).padStart(2, '0')} s` : `${sec} s`;
}
