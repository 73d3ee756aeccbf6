/**
 * The program a sandboxed process runs (evaluated with `node --input-type=module -e`), kept as text so
 * the same bytes run from source and from the build. It loads the tool module once, routes `http`,
 * `https` and `fetch` through the egress broker's Unix socket, then answers one JSON request per stdin
 * line on fd 3. It is not a boundary itself: the permission flags, bwrap and the parent's limits are.
 */
export const CHILD_SOURCE = String.raw`
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import { Readable } from 'node:stream';
const cfg = JSON.parse(process.env.AGENTGUARD_SANDBOX ?? '{}');
delete process.env.AGENTGUARD_SANDBOX;
// Signals: the permission model does not cover kill(2); refuse it here (cooperative in the process
// runner, where the parent shares the PID namespace; bwrap's PID namespace is the real boundary).
const noSignals = () => { throw Object.assign(new Error('signals are not allowed in the sandbox'), { code: 'ERR_ACCESS_DENIED' }); };
process.kill = noSignals;
process._kill = noSignals;
const out = (obj) => fs.writeSync(3, JSON.stringify(obj) + '\n');
function tunnel(host, port, cb) {
  const s = net.connect(cfg.broker);
  let buf = '';
  const onData = (c) => {
    buf += c.toString('latin1');
    const end = buf.indexOf('\r\n\r\n');
    if (end === -1) return;
    s.off('data', onData);
    if (!/^HTTP\/1\.1 200/.test(buf)) { s.destroy(); cb(Object.assign(new Error('egress refused: ' + (/x-agentguard-egress: (\S+)/.exec(buf)?.[1] ?? 'upstream')), { code: 'ERR_SANDBOX_EGRESS_DENIED' })); return; }
    cb(null, s);
  };
  s.on('data', onData);
  s.once('error', (e) => cb(e));
  s.write('CONNECT ' + (host.includes(':') ? '[' + host + ']' : host) + ':' + port + ' HTTP/1.1\r\nhost: ' + host + '\r\n\r\n');
}
class BrokerHttpAgent extends http.Agent {
  createConnection(o, cb) { const s = net.connect(cfg.broker); setImmediate(() => cb(null, s)); return undefined; }
}
class BrokerHttpsAgent extends https.Agent {
  createConnection(o, cb) {
    tunnel(o.host, o.port ?? 443, (err, s) => {
      if (err) return cb(err);
      // The broker's CA (hosts it injects credentials into) is trusted on top of the roots the caller chose.
      const ca = cfg.ca ? { ca: [...(o.ca ? [o.ca].flat() : tls.rootCertificates), cfg.ca] } : {};
      cb(null, tls.connect({ ...o, ...ca, socket: s, servername: o.servername ?? o.host }));
    });
    return undefined;
  }
}
if (cfg.broker) {
  const ha = new BrokerHttpAgent({ keepAlive: false });
  const hsa = new BrokerHttpsAgent({ keepAlive: false });
  http.globalAgent = ha;
  https.globalAgent = hsa;
  globalThis.fetch = async function fetch(input, init = {}) {
    const req = new Request(input, init);
    const url = new URL(req.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('fetch: only http(s) is routed');
    const body = req.body === null ? undefined : Buffer.from(await req.arrayBuffer());
    const mod = url.protocol === 'https:' ? https : http;
    return await new Promise((resolve, reject) => {
      const r = mod.request(url, { method: req.method, headers: Object.fromEntries(req.headers), agent: url.protocol === 'https:' ? hsa : ha }, (res) => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) for (const x of [v].flat()) if (x !== undefined) headers.append(k, x);
        const nobody = [101, 204, 205, 304].includes(res.statusCode ?? 0) || req.method === 'HEAD';
        resolve(new Response(nobody ? null : Readable.toWeb(res), { status: res.statusCode, statusText: res.statusMessage, headers }));
      });
      r.once('error', (e) => reject(new TypeError('fetch failed', { cause: e })));
      r.end(body);
    });
  };
}
let fn;
try {
  const mod = await import(cfg.module);
  fn = mod[cfg.export];
  if (typeof fn !== 'function') throw new TypeError('export ' + cfg.export + ' is not a function');
} catch (e) {
  out({ id: 0, ok: false, message: 'tool module failed to load: ' + String(e?.message ?? e).slice(0, 500) });
  process.exit(70);
}
let line = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', async (chunk) => {
  line += chunk;
  let nl;
  while ((nl = line.indexOf('\n')) !== -1) {
    const text = line.slice(0, nl);
    line = line.slice(nl + 1);
    const msg = JSON.parse(text);
    try {
      const value = await fn(msg.args, Object.freeze({ callId: msg.callId, agent: msg.agent }));
      const json = JSON.stringify(value === undefined ? null : value);
      fs.writeSync(3, '{"id":' + msg.id + ',"ok":true,"value":' + json + '}\n');
    } catch (e) {
      out({ id: msg.id, ok: false, message: String(e?.message ?? e).slice(0, 1000) });
    }
  }
});
out({ id: 0, ok: true, ready: true });
`;
