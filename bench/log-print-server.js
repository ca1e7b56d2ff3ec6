// A loopback Run History that serves one run's details and its driver log file with Range, in its
// own process, so that neither process's peak RSS counts the other's.
const fs = require('fs');
const http = require('http');

const file = process.argv[2];
const server = http.createServer((req, res) => {
  const url = `http://127.0.0.1:${server.address().port}`;
  if (req.url.includes('/details')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ runId: 'r1', status: 'Completed', logFiles: { 'azureml-logs/70_driver_log.txt': `${url}/log?sig=x` } }));
  }
  const size = fs.statSync(file).size;
  const match = /bytes=(\d+)-(\d*)/.exec(req.headers.range || '');
  const start = match ? Number(match[1]) : 0;
  const end = match && match[2] ? Math.min(Number(match[2]), size - 1) : size - 1;
  res.writeHead(match ? 206 : 200, { 'content-length': end - start + 1, ...(match ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}) });
  fs.createReadStream(file, { start, end }).pipe(res);
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
