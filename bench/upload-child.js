// One upload in a fresh process, so that its peak RSS is its own: raw streamed http.request,
// this package with {path}, or the generated integration with the file as a string.
const fs = require('fs');
const http = require('http');
const path = require('path');

const [mode, file, root] = process.argv.slice(2);
const WS = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'bench', workspaceName: 'bench', experimentName: 'bench' };

// The server reads and discards the body in another process, so it does not count in this RSS.
const { spawn } = require('child_process');
const serverCode = `
  const http = require('http');
  const s = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, {'content-type': 'application/json'}); res.end('{"runId":"r1"}'); }); });
  s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));`;
const server = spawn(process.execPath, ['-e', serverCode], { stdio: ['ignore', 'pipe', 'inherit'] });

server.stdout.once('data', async (chunk) => {
  const url = `http://127.0.0.1:${String(chunk).trim()}`;
  const size = fs.statSync(file).size;
  const started = process.hrtime.bigint();
  if (mode === 'raw') {
    await new Promise((resolve, reject) => {
      const req = http.request(`${url}/upload`, { method: 'POST', headers: { 'content-length': size, 'content-type': 'application/zip' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      fs.createReadStream(file).pipe(req);
    });
  } else if (mode === 'package') {
    await require(root)
      .create({ access_token: 't', host: url })
      .Runs_StartRun({ ...WS, runId: 'r1', runDefinitionFile: '{}', projectZipFile: { path: file } });
  } else {
    const datafire = require(require.resolve('datafire', { paths: [root] }));
    const integration = datafire.Integration.fromOpenAPI(JSON.parse(fs.readFileSync(path.join(root, 'openapi.json'), 'utf8')), 'azure_machinelearningservices_execution');
    // The generated integration takes file content as a string: the whole file in memory.
    const content = fs.readFileSync(file).toString('base64');
    await integration
      .create({ access_token: 't', host: url })
      .Runs_StartRun({ ...WS, runId: 'r1', runDefinitionFile: '{}', projectZipFile: { content, encoding: 'base64', filename: 'project.zip' } });
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  server.kill();
  process.stdout.write(JSON.stringify({ seconds, mbPerSecond: size / 1e6 / seconds, peakRssMb: require('./peak-rss')() / 1024 }));
});
