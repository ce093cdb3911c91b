import type { Overview } from './overview';

const html = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

// Prices are fractions of a cent ($0.035): show every micro-dollar, at least cents.
const usd = (n: number) =>
  `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 6 })}`;
const budgetCell = (b: Overview['tenants'][number]['budget']) =>
  b ? `${usd(b.remaining)} of ${usd(b.budget)} / ${b.period}` : 'none';

/** The /admin overview as one server-rendered page (no script): accounts, then tenants. */
export function renderOverview(o: Overview, links: { queues: string }): string {
  const accounts = o.accounts
    .map(
      (a) =>
        `<tr data-account="${html(a.name)}"><td>${html(a.name)}</td><td class="state-${html(a.state)}">${html(a.state)}</td>` +
        `<td>${html(a.reason ?? '')}</td><td>${html(a.since ?? '')}</td><td>${a.slotsInUse} / ${a.concurrency}</td></tr>`,
    )
    .join('');
  const tenants = o.tenants
    .map(
      (t) =>
        `<tr data-tenant="${html(t.name)}"><td>${html(t.name)}</td><td>${html(t.account)}</td><td>${t.queued}</td>` +
        `<td>${t.running}</td><td>${t.finishedToday}</td><td>${Math.round(t.share * 100)}%</td>` +
        `<td>${usd(t.spentToday)}</td><td>${usd(t.spentThisMonth)}</td><td>${usd(t.reservedThisMonth)}</td>` +
        `<td>${html(budgetCell(t.budget))}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Foley overview</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse;margin-bottom:2rem}
td,th{border:1px solid #ccc;padding:.3rem .7rem;text-align:left}.state-paused{color:#b00}.state-slowed{color:#a60}</style>
</head><body>
<h1>Foley overview</h1>
<p><a href="${html(links.queues)}">Queues (Bull Board)</a></p>
<h2>fal accounts</h2>
<table id="accounts"><thead><tr><th>account</th><th>state</th><th>reason</th><th>since</th><th>slots in use</th></tr></thead>
<tbody>${accounts}</tbody></table>
<h2>Tenants</h2>
<p>Spend counts each job in the UTC day and month it was accepted, as <code>GET /v1/usage</code> does.</p>
<table id="tenants"><thead><tr><th>tenant</th><th>account</th><th>queued</th><th>running</th><th>finished today</th><th>share of dispatch</th><th>spent today (UTC)</th><th>spent this month</th><th>reserved this month</th><th>budget left</th></tr></thead>
<tbody>${tenants}</tbody></table>
</body></html>`;
}
