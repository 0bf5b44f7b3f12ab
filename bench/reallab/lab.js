#!/usr/bin/env node
// Node pieces of the real-stack lab (see README.md).
//   node lab.js serve --listen HOST:PORT [...] --cert CHAIN.pem --key KEY.pem
//   node lab.js client --urls FILE [--ca CA.pem] [--insecure]
// The server speaks HTTP/2 and HTTP/1.1 (ALPN); the client fetches each
// URL in turn with https.get (or http.get) over a new connection, with
// node's own TLS session cache, as a node program would.
'use strict';
const fs = require('fs');
const http = require('http');
const https = require('https');
const http2 = require('http2');

function parse(argv) {
  const a = { listen: [] };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, '');
    if (k === 'insecure') a.insecure = true;
    else if (k === 'listen') a.listen.push(argv[++i]);
    else a[k] = argv[++i];
  }
  return a;
}

function page(host, path) {
  return `<html><body><h1>${host}</h1><p>${path}</p>${'<p>node</p>'.repeat(path.length % 6)}</body></html>\n`;
}

function serve(a) {
  const opts = { cert: fs.readFileSync(a.cert), key: fs.readFileSync(a.key), allowHTTP1: true };
  for (const l of a.listen) {
    const i = l.lastIndexOf(':');
    const srv = http2.createSecureServer(opts, (req, res) => {
      const body = page(req.headers[':authority'] || req.headers.host || '?', req.url);
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    srv.on('tlsClientError', () => {}); // broken hellos are the point
    srv.listen(Number(l.slice(i + 1)), l.slice(0, i));
  }
  console.error('lab.js: serving on', a.listen.join(', '));
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
}

function get(agent, url, insecure, ca) {
  return new Promise((resolve) => {
    const mod = url.startsWith('https:') ? https : http;
    const opts = { timeout: 10000, headers: { 'user-agent': 'node-lab', connection: 'close' } };
    if (mod === https) Object.assign(opts, { agent, ca, rejectUnauthorized: !insecure });
    const req = mod.get(url, opts, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(null));
      res.on('error', resolve);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', resolve);
  });
}

async function client(a) {
  const urls = fs.readFileSync(a.urls, 'utf8').split('\n').map((s) => s.trim()).filter(Boolean);
  const ca = a.ca ? fs.readFileSync(a.ca) : undefined;
  const agent = new https.Agent({ keepAlive: false }); // caches TLS sessions
  let ok = 0, failed = 0, first = null;
  for (const u of urls) {
    const err = await get(agent, u, a.insecure, ca);
    if (err) { failed++; first = first || err; } else ok++;
  }
  console.error(`lab.js client: ${ok} ok, ${failed} failed${first ? ' (first: ' + first.message + ')' : ''}`);
}

const [cmd, ...rest] = process.argv.slice(2);
const a = parse(rest);
if (cmd === 'serve') serve(a);
else if (cmd === 'client') client(a);
else { console.error('usage: lab.js serve|client ...'); process.exit(2); }
