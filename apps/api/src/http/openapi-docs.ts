import type { OpenApiDocument, OperationObject } from './openapi';

/** `GET /docs`: the OpenAPI document as one self-contained page (no scripts, no CDN: works offline). */

const html = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const pretty = (value: unknown) => `<pre>${html(JSON.stringify(value, null, 2))}</pre>`;

function operationHtml(path: string, method: string, op: OperationObject): string {
  const auth = op.security.length ? 'Bearer API key' : 'public';
  const params = (op.parameters ?? [])
    .map(
      (p) =>
        `<tr><td><code>${html(p.name)}</code></td><td>${html(p.in)}</td><td>${p.required ? 'yes' : ''}</td>` +
        `<td><code>${html(JSON.stringify(p.schema))}</code>${p.description ? ` ${html(p.description)}` : ''}</td></tr>`,
    )
    .join('');
  const bodies = Object.entries(op.requestBody?.content ?? {})
    .map(
      ([type, { schema }]) =>
        `<details><summary>Body <code>${html(type)}</code></summary>${pretty(schema)}</details>`,
    )
    .join('');
  const responses = Object.entries(op.responses)
    .map(([status, r]) => `<li><b>${html(status)}</b> ${html(r.description)}</li>`)
    .join('');
  return `<section id="${html(op.operationId)}">
  <h3><span class="m ${html(method)}">${html(method.toUpperCase())}</span> <code>${html(path)}</code></h3>
  <p>${html(op.summary)} <span class="auth">${auth}</span></p>
  ${params ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>${params}</table>` : ''}
  ${bodies}
  <ul class="responses">${responses}</ul>
</section>`;
}

export function renderDocsPage(doc: OpenApiDocument): string {
  const info = doc.info as { title: string; version: string; description: string };
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op })),
  );
  const toc = ops
    .map(
      ({ path, method, op }) =>
        `<li><a href="#${html(op.operationId)}">${html(method.toUpperCase())} ${html(path)}</a></li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${html(info.title)} — docs</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2rem auto;padding:0 1rem;color:#1d2330}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f4f5f7;padding:.75rem;overflow:auto}
section{border-top:1px solid #dde;padding:.5rem 0}.m{display:inline-block;min-width:3.5rem;color:#fff;border-radius:3px;padding:0 .4rem;text-align:center}
.get{background:#2f7d4a}.post{background:#2f5f9e}.auth{color:#777;font-size:13px;margin-left:.5rem}
table{border-collapse:collapse}td,th{border:1px solid #dde;padding:.2rem .5rem;text-align:left;vertical-align:top}
</style></head><body>
<h1>${html(info.title)} <small>${html(info.version)}</small></h1>
<p>${html(info.description)}</p>
<p>Machine-readable: <a href="openapi.json">/openapi.json</a> (OpenAPI ${html(doc.openapi)}). Errors are
<code>{"error": {"code", "message", "details"?, "request_id"?}}</code>.</p>
<ul>${toc}</ul>
${ops.map(({ path, method, op }) => operationHtml(path, method, op)).join('\n')}
</body></html>`;
}
