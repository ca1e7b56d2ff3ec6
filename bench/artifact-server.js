// A loopback Run History for the download benchmark, in its own process: it lists one artifact
// (RunArtifacts_ListSasByPrefix) whose link serves the given file with Range and HEAD.
const fs = require('fs');
const http = require('http');

const file = process.argv[2];
const server = http.createServer((req, res) => {
  const url = `http://127.0.0.1:${server.address().port}`;
  if (req.url.includes('/artifacts/prefix/contentinfo')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ value: [{ origin: 'ExperimentRun', container: 'dcid.r1', path: 'outputs/big.bin', contentUri: `${url}/blob?sig=x` }] }));
  }
  const size = fs.statSync(file).size;
  const match = /bytes=(\d+)-(\d*)/.exec(req.headers.range || '');
  const start = match ? Number(match[1]) : 0;
  const end = match && match[2] ? Math.min(Number(match[2]), size - 1) : size - 1;
  res.writeHead(match ? 206 : 200, { 'content-length': end - start + 1, ...(match ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}) });
  if (req.method === 'HEAD') return res.end();
  fs.createReadStream(file, { start, end }).pipe(res);
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
