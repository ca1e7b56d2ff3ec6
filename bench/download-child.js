// One download in a fresh process, so that its peak RSS is its own: `raw` (http.get piped to a
// file) or `package` (downloadOutputs). Prints { seconds, mbPerSecond, peakRssMb }.
const fs = require('fs');
const http = require('http');
const path = require('path');

const [mode, url, to, root] = process.argv.slice(2);
const WS = { subscriptionId: '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7', resourceGroupName: 'bench', workspaceName: 'bench', experimentName: 'bench' };

(async () => {
  const started = process.hrtime.bigint();
  let bytes;
  if (mode === 'raw') {
    fs.mkdirSync(to, { recursive: true });
    const file = path.join(to, 'big.bin');
    bytes = await new Promise((resolve, reject) => {
      http
        .get(`${url}/blob?sig=x`, (res) => {
          const out = fs.createWriteStream(file);
          res.pipe(out);
          out.on('finish', () => resolve(fs.statSync(file).size));
          out.on('error', reject);
        })
        .on('error', reject);
    });
  } else {
    const result = await require(root).create({ access_token: 't', host: url }, { workspace: WS }).downloadOutputs('r1', { to });
    bytes = result.bytes;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({ bytes, seconds, mbPerSecond: bytes / 1e6 / seconds, peakRssMb: require('./peak-rss')() / 1024 }));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
