// The omsgw console: a few views over the JSON admin API (/api/...), routed by the URL hash.
// No framework and no build step: the file is served as written, embedded in the binary.
'use strict';

const main = document.getElementById('main');
let timer = null; // the current view's refresh timer, cleared when the view changes

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === 'onclick' || key === 'onsubmit') node[key] = value;
    else if (value !== null && value !== undefined) node.setAttribute(key, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(path, options) {
  const response = await fetch(path, Object.assign({credentials: 'same-origin'}, options || {}));
  if (response.status === 401) { location.href = '/login'; throw new Error('not logged in'); }
  const body = await response.json();
  if (!response.ok) throw new Error(body.message || response.statusText);
  return body;
}

function status(job) {
  return el('span', {class: 'status ' + job.status, 'data-status': job.status}, job.status);
}

function progress(job) {
  const p = job.progress || {};
  const percent = p.chunksTotal ? Math.round(100 * p.chunksDone / p.chunksTotal) : 0;
  const bar = el('span', {class: 'bar', title: percent + '%'}, el('span', {style: 'width:' + percent + '%'}));
  return el('span', {class: 'progress', 'data-job': job.jobID},
    bar, ` chunks ${p.chunksDone}/${p.chunksTotal}, items ${p.itemsApplied} applied, ${p.itemsFailed} refused`);
}

function jobLink(job) {
  return el('a', {href: '#/job/' + job.jobID, class: 'job-link', 'data-job': job.jobID}, '#' + job.jobID);
}

function showError(error) {
  main.replaceChildren(el('p', {class: 'error', role: 'alert'}, 'Error: ' + error.message));
}

// ---- views ----

async function viewTenants() {
  const body = await api('/api/tenants');
  main.replaceChildren(el('h1', {}, 'Tenants'), el('table', {id: 'tenants'},
    el('tr', {}, ['Tenant', 'Pending', 'Working', 'Oldest pending', 'Running job', 'Last finished'].map(h => el('th', {}, h))),
    body.tenants.map(t => el('tr', {'data-tenant': t.tenantId},
      el('td', {}, t.tenantId, t.configured ? '' : ' (not configured)'),
      el('td', {}, t.pending), el('td', {}, t.working),
      el('td', {}, t.oldestPendingAgeSeconds ? t.oldestPendingAgeSeconds.toFixed(1) + ' s' : '—'),
      el('td', {}, t.runningJob ? [jobLink(t.runningJob), ' ', progress(t.runningJob)] : '—'),
      el('td', {}, t.lastFinishedJob ? [jobLink(t.lastFinishedJob), ' ', status(t.lastFinishedJob), ' ',
        t.lastFinishedJob.finished] : '—')))));
  timer = setTimeout(route, 2000);
}

async function viewRunning() {
  const body = await api('/api/jobs?status=WORKING&limit=100');
  const pending = await api('/api/jobs?status=PENDING&limit=100');
  main.replaceChildren(el('h1', {}, 'Running jobs'),
    body.jobs.length ? el('table', {id: 'running'},
      el('tr', {}, ['Job', 'Tenant', 'Location', 'Items', 'Progress', 'Started'].map(h => el('th', {}, h))),
      body.jobs.map(j => el('tr', {'data-job': j.jobID}, el('td', {}, jobLink(j)), el('td', {}, j.tenantID),
        el('td', {}, j.locationCode), el('td', {}, j.itemCount), el('td', {}, progress(j)), el('td', {}, j.started))))
      : el('p', {id: 'running-none'}, 'No job is running.'),
    el('h2', {}, 'Pending'), jobTable(pending.jobs, 'pending'));
  timer = setTimeout(route, 1000); // live progress without reloading the page
}

function jobTable(jobs, id) {
  if (!jobs.length) return el('p', {id: id + '-none'}, 'None.');
  return el('table', {id: id},
    el('tr', {}, ['Job', 'Tenant', 'Type', 'Location', 'Items', 'Status', 'Added', 'Finished'].map(h => el('th', {}, h))),
    jobs.map(j => el('tr', {'data-job': j.jobID}, el('td', {}, jobLink(j)), el('td', {}, j.tenantID),
      el('td', {}, j.type), el('td', {}, j.locationCode), el('td', {}, j.itemCount), el('td', {}, status(j)),
      el('td', {}, j.added), el('td', {}, j.finished || '—'))));
}

async function viewJobs(params) {
  const query = new URLSearchParams(params);
  if (!query.get('limit')) query.set('limit', '25');
  const body = await api('/api/jobs?' + query.toString());
  const field = (name, label, attrs) => el('label', {}, label,
    el('input', Object.assign({name: name, id: 'filter-' + name, value: query.get(name) || ''}, attrs || {})));
  const select = (name, label, options) => el('label', {}, label,
    el('select', {name: name, id: 'filter-' + name}, options.map(o => {
      const option = el('option', {value: o}, o || 'any');
      if ((query.get(name) || '') === o) option.selected = true;
      return option;
    })));
  const form = el('form', {class: 'filters', id: 'filters', onsubmit: event => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (value) next.set(key, value);
    location.hash = '#/jobs?' + next.toString();
  }},
    field('tenant', 'Tenant'), select('status', 'Status', ['', 'PENDING', 'WORKING', 'SUCCESS', 'FAILED']),
    select('type', 'Type', ['', 'REFRESH', 'ADJUST']), field('location', 'Location (OCI id)'),
    field('from', 'Added from', {placeholder: '2026-12-01T00:00:00Z'}), field('to', 'Added before'),
    el('button', {type: 'submit', id: 'filter-apply'}, 'Apply'));
  const offset = Number(query.get('offset') || 0), limit = Number(query.get('limit'));
  const page = delta => { const next = new URLSearchParams(query); next.set('offset', String(Math.max(0, offset + delta)));
    return '#/jobs?' + next.toString(); };
  main.replaceChildren(el('h1', {}, 'Jobs'), form, jobTable(body.jobs, 'jobs'),
    el('div', {class: 'pager'},
      offset > 0 ? el('a', {href: page(-limit), id: 'page-previous'}, '← newer') : '',
      `jobs ${offset + 1}–${offset + body.jobs.length}`,
      body.hasMore ? el('a', {href: page(limit), id: 'page-next'}, 'older →') : ''));
}

async function viewJob(id) {
  const body = await api('/api/jobs/' + encodeURIComponent(id));
  const job = body.job, admin = job.admin || {};
  const fields = ['jobID', 'tenantID', 'locationID', 'locationCode', 'locationName', 'type', 'added', 'started',
    'finished', 'originalFilename', 'hasData', 'itemCount', 'status', 'success', 'numResults'];
  const actions = [];
  if (job.status === 'PENDING') {
    actions.push(el('button', {id: 'cancel', onclick: async () => {
      if (!confirm('Cancel job ' + job.jobID + '? It will end FAILED and its items will not be delivered.')) return;
      try { await api('/api/jobs/' + job.jobID + '/cancel', {method: 'POST'}); route(); } catch (error) { showError(error); }
    }}, 'Cancel this job'));
  }
  if (job.status === 'FAILED') {
    actions.push(el('button', {id: 'retry', onclick: async () => {
      if (!confirm('Retry job ' + job.jobID + ' as a new job with the same items? This job stays as it is.')) return;
      try {
        const reply = await api('/api/jobs/' + job.jobID + '/retry', {method: 'POST'});
        location.hash = '#/job/' + (reply.job ? reply.job.jobID : reply.jobID);
      } catch (error) { showError(error); }
    }}, 'Retry as a new job'));
  }
  main.replaceChildren(el('h1', {}, 'Job ', job.jobID, ' ', status(job)), el('div', {}, actions),
    el('h2', {}, 'Legacy reply'),
    el('dl', {id: 'job-fields'}, fields.map(f => [el('dt', {}, f),
      el('dd', {'data-field': f}, job[f] === null ? 'null' : String(job[f]))])),
    el('h2', {}, 'Progress'), progress(job),
    el('h2', {}, 'Queue'),
    el('dl', {id: 'job-admin'}, Object.entries(admin).map(([k, v]) => [el('dt', {}, k),
      el('dd', {'data-field': k}, v === null ? '—' : String(v))])),
    el('h2', {}, 'Messages'), el('ul', {id: 'messages'}, job.messages.map(m => el('li', {}, m))),
    el('h2', {}, 'Refused items (', body.refusalsShown, ')'),
    body.refusals.length ? el('table', {id: 'refusals'},
      el('tr', {}, ['Item', 'SKU', 'Code', 'Message'].map(h => el('th', {}, h))),
      body.refusals.map(r => el('tr', {}, el('td', {}, r.itemIndex), el('td', {}, r.sku), el('td', {}, r.errorCode),
        el('td', {}, r.message)))) : el('p', {id: 'refusals-none'}, 'None.'));
  if (job.status === 'PENDING' || job.status === 'WORKING') timer = setTimeout(route, 500);
}

async function viewCore(params) {
  const query = new URLSearchParams(params);
  const orgs = (await api('/api/core/organizations')).organizations;
  const org = query.get('organization') || orgs[0] || '';
  const sku = query.get('sku') || '';
  const form = el('form', {class: 'filters', id: 'core-form', onsubmit: event => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (value) next.set(key, value);
    location.hash = '#/core?' + next.toString();
  }},
    el('label', {}, 'Organization', el('select', {name: 'organization', id: 'core-organization'}, orgs.map(o => {
      const option = el('option', {value: o}, o);
      if (o === org) option.selected = true;
      return option;
    }))),
    el('label', {}, 'SKU', el('input', {name: 'sku', id: 'core-sku', value: sku, required: 'required'})),
    el('button', {type: 'submit', id: 'core-show'}, 'Show availability'));
  const parts = [el('h1', {}, 'Bundled OCI core'), form];
  if (org && sku) {
    const body = await api('/api/core/availability?' + new URLSearchParams({organization: org, sku}).toString());
    const columns = ['onHand', 'reserved', 'safetyStockCount', 'atf', 'ato'];
    const table = (id, places) => el('table', {id: id},
      el('tr', {}, ['Place', ...columns, 'Futures'].map(h => el('th', {}, h))),
      places.map(p => { const r = p.records[0] || {};
        return el('tr', {'data-place': p.id}, el('td', {}, p.id), columns.map(c => el('td', {}, r[c] ?? '—')),
          el('td', {}, (r.futures || []).map(f => `${f.quantity} on ${f.expectedDate}`).join(', ') || '—')); }));
    parts.push(el('h2', {}, 'Locations'), table('core-locations', body.locations),
      el('h2', {}, 'Groups'), table('core-groups', body.groups || []));
  }
  if (org) {
    const graph = await api('/api/core/graph?' + new URLSearchParams({organization: org}).toString());
    const grouped = new Set(graph.groups.flatMap(g => g.locations));
    parts.push(el('h2', {}, 'Location graph'), el('ul', {id: 'core-graph'},
      graph.groups.map(g => el('li', {'data-group': g.id}, el('strong', {}, g.id), ': ', g.locations.join(', '))),
      graph.locations.filter(l => !grouped.has(l)).map(l => el('li', {'data-location': l}, l, ' (in no group)'))));
  }
  main.replaceChildren(...parts);
}

async function viewCompare() {
  const tenants = (await api('/api/tenants')).tenants.filter(t => t.configured);
  const result = el('div', {id: 'compare-result'});
  const form = el('form', {class: 'filters', id: 'compare-form', onsubmit: async event => {
    event.preventDefault();
    const file = document.getElementById('compare-file').files[0];
    if (!file) return;
    result.replaceChildren(el('p', {id: 'compare-running'}, 'Running the comparison…'));
    try {
      const tenant = document.getElementById('compare-tenant').value;
      const started = await api('/api/compare?tenant=' + encodeURIComponent(tenant),
        {method: 'POST', headers: {'content-type': 'application/json'}, body: await file.text()});
      let run;
      do { await new Promise(resolve => setTimeout(resolve, 500)); run = await api('/api/compare/' + started.id); }
      while (run.status === 'running');
      showComparison(result, run);
    } catch (error) { result.replaceChildren(el('p', {class: 'error', role: 'alert'}, 'Error: ' + error.message)); }
  }},
    el('label', {}, 'Tenant', el('select', {id: 'compare-tenant'}, tenants.map(t => el('option', {value: t.tenantId}, t.tenantId)))),
    el('label', {}, 'Request file (legacy refresh JSON)', el('input', {type: 'file', id: 'compare-file', accept: '.json,application/json', required: 'required'})),
    el('button', {type: 'submit', id: 'compare-run'}, 'Run the comparison'));
  main.replaceChildren(el('h1', {}, 'Compare: gateway vs native import'),
    el('p', {}, 'Sends the request through this gateway, loads the same inventory natively into a second organization, and shows both sides per SKU.'),
    form, result);
}

function showComparison(target, run) {
  const r = run.result;
  if (!r) {
    target.replaceChildren(el('p', {class: 'error', id: 'compare-failed'}, `The comparison ended with exit code ${run.exitCode}.`),
      el('pre', {}, run.stderr || ''));
    return;
  }
  const figures = ['onHand', 'safetyStockCount', 'atf', 'ato', 'futures'];
  const side = s => s && s.found ? figures.map(f => el('td', {}, s[f])) : figures.map(() => el('td', {}, '—'));
  target.replaceChildren(
    el('p', {id: 'compare-summary', 'data-different': r.different},
      `${r.compared} rows compared, ${r.different} different (gateway ${r.gatewayOrganization}, native ${r.nativeOrganization}); exit code ${run.exitCode}.`),
    el('table', {id: 'compare-table'},
      el('tr', {}, el('th', {}, 'SKU'), el('th', {}, 'Location'), figures.map(f => el('th', {}, 'gateway ' + f)),
        figures.map(f => el('th', {}, 'native ' + f)), el('th', {}, 'Equal')),
      r.rows.map(row => el('tr', {'data-sku': row.sku, 'data-equal': String(row.equal)}, el('td', {}, row.sku),
        el('td', {}, row.location), side(row.gateway), side(row.native), el('td', {}, row.equal ? 'yes' : 'NO')))));
}

// ---- routing ----

async function route() {
  clearTimeout(timer);
  const hash = location.hash || '#/tenants';
  const [path, query] = hash.slice(1).split('?');
  const parts = path.split('/').filter(Boolean);
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', hash.startsWith(a.getAttribute('href')));
  try {
    if (parts[0] === 'jobs') await viewJobs(query || '');
    else if (parts[0] === 'job' && parts[1]) await viewJob(parts[1]);
    else if (parts[0] === 'running') await viewRunning();
    else if (parts[0] === 'core') await viewCore(query || '');
    else if (parts[0] === 'compare') await viewCompare();
    else await viewTenants();
  } catch (error) {
    showError(error);
  }
}

window.addEventListener('hashchange', route);
route();
