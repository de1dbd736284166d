// console_test.mjs - the web console in a real headless Chromium, driven over the DevTools protocol
// (the `ws` package is the only dependency). It starts its own omsgw (OMSGW_BIN) on free loopback
// ports with an admin listener, then, as an operator would: logs in through the form, sends a
// 12000-item refresh, watches its progress reach SUCCESS in the page, opens the job, cancels a
// pending job after the confirmation, sees a refused item on a failed job's page, and looks a SKU up
// at every location and group of the bundled core, and runs a comparison of an uploaded request file.
// Screenshots
// go to the output folder (argv[2]). Exit 0 when every step passed; otherwise one line says which
// step failed and the omsgw log is printed.
//
// The queue runs in chunks of 10 items here, so the 12000-item job takes 1200 checkpoints and is
// WORKING long enough to be watched; the job to cancel is the same tenant's next one, which waits
// behind it, and is cancelled first. Every wait is "until X, at most N s", never a fixed sleep.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

const outDir = path.resolve(process.argv[2] || 'browser-output');
const bin = process.env.OMSGW_BIN;
const source = process.env.OMSGW_SOURCE_DIR;
const TOKEN = 'browser-admin-token-0123456789';
fs.mkdirSync(outDir, {recursive: true});
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'omsgw-browser-'));
const children = [];
let step = 'start';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => { const {port} = server.address(); server.close(() => resolve(port)); });
    server.on('error', reject);
  });
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function until(what, check, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try { last = await check(); if (last) return last; } catch (error) { last = error; }
    await sleep(100);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms (last: ${last})`);
}

function cleanup() {
  for (const child of children) { try { child.kill('SIGKILL'); } catch (_) { /* already gone */ } }
}

async function main() {
  const [gatewayPort, ociPort, adminPort, debugPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const config = JSON.parse(fs.readFileSync(path.join(source, 'samples/omsgw.json'), 'utf8'));
  fs.copyFileSync(path.join(source, 'samples/location-graph.json'), path.join(work, 'location-graph.json'));
  config.admin = {tokens: [TOKEN]};
  config.queue.chunkSize = 10;
  fs.writeFileSync(path.join(work, 'omsgw.json'), JSON.stringify(config));
  const log = fs.openSync(path.join(outDir, 'omsgw.log'), 'w');
  const server = spawn(bin, ['serve', '--config', path.join(work, 'omsgw.json'), '--data-dir', path.join(work, 'data'),
    '--gateway-port', String(gatewayPort), '--oci-port', String(ociPort), '--admin-port', String(adminPort)],
    {stdio: ['ignore', log, log]});
  children.push(server);
  const admin = `http://127.0.0.1:${adminPort}`;
  await until('omsgw healthy', async () => (await fetch(`${admin}/healthz`)).ok, 20000);

  step = 'start chromium';
  const profile = path.join(work, 'chromium');
  const chromium = spawn(process.env.CHROMIUM || 'chromium', ['--headless=new', '--no-sandbox', '--disable-gpu',
    '--no-first-run', '--no-default-browser-check', `--user-data-dir=${profile}`, '--remote-debugging-address=127.0.0.1',
    `--remote-debugging-port=${debugPort}`, '--window-size=1280,900', 'about:blank'], {stdio: ['ignore', 'ignore', 'pipe']});
  children.push(chromium);
  let chromiumErr = '';
  chromium.stderr.on('data', d => { chromiumErr += d; });
  const targets = await until('DevTools endpoint', async () => {
    const list = await (await fetch(`http://127.0.0.1:${debugPort}/json/list`)).json();
    return list.find(t => t.type === 'page') ? list : null;
  }, 30000).catch(error => { throw new Error(`${error.message}; chromium said: ${chromiumErr.slice(0, 500)}`); });
  const page = targets.find(t => t.type === 'page');
  const socket = new WebSocket(page.webSocketDebuggerUrl, {perMessageDeflate: false});
  await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject); });
  let nextId = 1;
  const pending = new Map();
  const dialogs = [];
  socket.on('message', data => {
    const message = JSON.parse(data);
    if (message.id && pending.has(message.id)) {
      const {resolve, reject} = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) reject(new Error(message.error.message)); else resolve(message.result);
    } else if (message.method === 'Page.javascriptDialogOpening') {
      // The console asks before cancelling: accept, as the operator would, and remember it asked.
      dialogs.push(message.params.message);
      send('Page.handleJavaScriptDialog', {accept: true});
    }
  });
  function send(method, params = {}) {
    const id = nextId++;
    socket.send(JSON.stringify({id, method, params}));
    return new Promise((resolve, reject) => pending.set(id, {resolve, reject}));
  }
  async function evaluate(expression) {
    const result = await send('Runtime.evaluate', {expression, awaitPromise: true, returnByValue: true});
    if (result.exceptionDetails) throw new Error(result.exceptionDetails.text + ' in ' + expression);
    return result.result.value;
  }
  async function screenshot(name) {
    const {data} = await send('Page.captureScreenshot', {format: 'png'});
    fs.writeFileSync(path.join(outDir, name), Buffer.from(data, 'base64'));
  }
  await send('Page.enable');
  await send('Runtime.enable');
  await send('Emulation.setDeviceMetricsOverride', {width: 1280, height: 900, deviceScaleFactor: 1, mobile: false});

  step = 'log in';
  await send('Page.navigate', {url: `${admin}/`});
  await until('the login form', () => evaluate(`!!document.querySelector('form[action="/login"] input[name=token]')`));
  const console_before = await evaluate(`!!document.getElementById('main')`);
  if (console_before) throw new Error('the console was shown before logging in');
  await evaluate(`document.getElementById('token').value = ${JSON.stringify('wrong-token-wrong-token')};
                  document.querySelector('form').submit(); true`);
  await until('the refusal of a wrong token', () => evaluate(`document.body.innerText.includes('not valid')`));
  await evaluate(`document.getElementById('token').value = ${JSON.stringify(TOKEN)}; document.querySelector('form').submit(); true`);
  await until('the tenants page', () => evaluate(`!!document.querySelector('#tenants tr[data-tenant="12345"]')`));
  await screenshot('01-tenants.png');

  step = 'send a 12000-item refresh';
  const items = Array.from({length: 12000}, (_, i) => ({sku: `BR-${i}`, quantity: i % 50}));
  async function refresh(tenant, key, location, list) {
    const response = await fetch(`http://127.0.0.1:${gatewayPort}/api/v5/inventory/refresh`, {method: 'POST',
      headers: {'x-vol-tenant': tenant, authorization: `Bearer ${key}`, 'content-type': 'application/json'},
      body: JSON.stringify({locationName: location, items: list})});
    if (response.status !== 200) throw new Error(`refresh answered ${response.status}: ${await response.text()}`);
    return (await response.json()).jobID;
  }
  const big = await refresh('12345', 'demo-v5-key', 'Location 1', items);
  // A second job of the same tenant waits behind the first: the one to cancel.
  const waiting = await refresh('12345', 'demo-v5-key', 'Location 2', items.slice(0, 10));

  step = 'cancel the pending job';
  await send('Page.navigate', {url: `${admin}/#/job/${waiting}`});
  await until('the pending job page', () => evaluate(`document.querySelector('h1 .status')?.dataset.status === 'PENDING'`));
  await until('the cancel button', () => evaluate(`!!document.getElementById('cancel')`));
  await evaluate(`document.getElementById('cancel').click(); true`);
  await until('the cancelled job', () => evaluate(`document.querySelector('h1 .status')?.dataset.status === 'FAILED'`));
  if (!dialogs.some(text => text.includes(`Cancel job ${waiting}`))) throw new Error('no confirmation was asked before cancelling');
  await until('the cancel message', () => evaluate(`document.getElementById('messages').innerText.includes('Cancelled by an operator')`));
  await screenshot('02-cancelled.png');

  step = 'watch the progress';
  await send('Page.navigate', {url: `${admin}/#/running`});
  await until('the running job with its progress', () => evaluate(
    `!!document.querySelector('#running tr[data-job="${big}"] .progress')`));
  await screenshot('03-running.png');

  step = 'the job reaches SUCCESS in the page';
  await send('Page.navigate', {url: `${admin}/#/job/${big}`});
  // Hash navigation keeps the document: a marker set now is still there only if nothing reloaded.
  await evaluate(`window.__omsgwNoReload = 1`);
  const seen = new Set();
  await until('SUCCESS on the job page', async () => {
    const state = await evaluate(`[window.__omsgwNoReload, document.querySelector('h1 .status')?.dataset.status,
      document.querySelector('.progress')?.textContent]`);
    if (state[0] !== 1) throw new Error('the page was reloaded');
    if (state[1]) seen.add(state[1] + ' ' + state[2]);
    return state[1] === 'SUCCESS';
  }, 180000);
  const working = [...seen].filter(text => text.startsWith('WORKING'));
  if (working.length < 1) throw new Error(`the page never showed the job WORKING before SUCCESS: ${[...seen].join(' | ')}`);
  const fields = await evaluate(`Object.fromEntries([...document.querySelectorAll('#job-fields dd')].map(d => [d.dataset.field, d.textContent]))`);
  for (const name of ['jobID', 'tenantID', 'locationID', 'locationCode', 'type', 'added', 'started', 'finished',
    'originalFilename', 'hasData', 'itemCount', 'status', 'success', 'numResults']) {
    if (!(name in fields)) throw new Error(`the job page lacks ${name}`);
  }
  if (fields.itemCount !== '12000' || fields.success !== 'true') throw new Error(`unexpected fields ${JSON.stringify(fields)}`);
  await until('the final progress', () => evaluate(`document.querySelector('.progress').textContent.includes('items 12000 applied')`));
  await screenshot('04-job-success.png');
  console.log(`progress seen in the page: ${working.length} distinct WORKING states`);

  step = 'a refused item on a job page';
  const refused = await refresh('23456', 'second-v5-key', 'Nowhere Land', items.slice(0, 3));
  await send('Page.navigate', {url: `${admin}/#/job/${refused}`});
  await until('the refused items', () => evaluate(`document.querySelectorAll('#refusals tr').length === 4`), 60000);
  const refusal = await evaluate(`document.querySelector('#refusals tr:nth-child(2)').innerText`);
  if (!refusal.includes('LocationDoesNotExist') || !refusal.includes('BR-0')) throw new Error(`refusal row: ${refusal}`);
  await screenshot('05-refusals.png');

  step = 'the job list with a filter';
  await send('Page.navigate', {url: `${admin}/#/jobs?status=FAILED`});
  await until('the filtered list', () => evaluate(
    `document.querySelectorAll('#jobs tr[data-job]').length === 2 && !!document.querySelector('#jobs tr[data-job="${waiting}"]')`));
  await screenshot('06-jobs-failed.png');
  step = 'the bundled core: a SKU everywhere, and the graph';
  await send('Page.navigate', {url: `${admin}/#/core`});
  await until('the core form', () => evaluate(`!!document.getElementById('core-sku')`));
  await evaluate(`document.getElementById('core-sku').value = 'BR-7'; document.getElementById('core-show').click(); true`);
  await until('the SKU at warehouse-1', () => evaluate(
    `document.querySelector('#core-locations tr[data-place="warehouse-1"]')?.children[1]?.textContent === '7'`));
  await until('the group and the graph', () => evaluate(
    `!!document.querySelector('#core-groups tr[data-place="online"]') && !!document.querySelector('#core-graph li[data-group="stores"]')`));
  await screenshot('07-core.png');
  step = 'run a comparison';
  const requestFile = path.join(work, 'compare-request.json');
  fs.writeFileSync(requestFile, JSON.stringify({locationName: 'Location 2', items: items.slice(0, 5)}));
  await send('Page.navigate', {url: `${admin}/#/compare`});
  await until('the compare form', () => evaluate(`!!document.getElementById('compare-file')`));
  const {root} = await send('DOM.getDocument', {});
  const {nodeId} = await send('DOM.querySelector', {nodeId: root.nodeId, selector: '#compare-file'});
  await send('DOM.setFileInputFiles', {nodeId, files: [requestFile]});
  await evaluate(`document.getElementById('compare-run').click(); true`);
  await until('the comparison table', () => evaluate(`document.querySelectorAll('#compare-table tr[data-sku]').length === 5`),
    120000);
  const summary = await evaluate(`document.getElementById('compare-summary').dataset.different`);
  if (summary !== '0') throw new Error(`the comparison found ${summary} different rows`);
  await screenshot('08-compare.png');
  socket.close();
  step = 'stop omsgw cleanly';
  const exited = new Promise(resolve => server.once('exit', (code, signal) => resolve(signal || code)));
  server.kill('SIGTERM');
  const code = await Promise.race([exited, sleep(15000).then(() => 'still running')]);
  if (code !== 0) throw new Error(`omsgw ended with ${code} (sanitizer findings are in omsgw.log)`);
  console.log(`browser test: passed; screenshots in ${outDir}`);
}

main().then(() => { cleanup(); process.exit(0); }, error => {
  console.error(`browser test: step "${step}" failed: ${error.message}`);
  try { console.error(fs.readFileSync(path.join(outDir, 'omsgw.log'), 'utf8').split('\n').slice(-40).join('\n')); } catch (_) { /* no log */ }
  cleanup();
  process.exit(1);
});
