// One cold start, measured inside the child: what `mode` loads and builds, then peak RSS.
const mode = process.argv[2];
const root = process.argv[3];
const started = process.hrtime.bigint();
if (mode === 'package') {
  require(root).create({ access_token: 't', region: 'eastus' });
} else if (mode === 'generated') {
  const datafire = require(require.resolve('datafire', { paths: [root] }));
  const openapi = JSON.parse(require('fs').readFileSync(require('path').join(root, 'openapi.json'), 'utf8'));
  datafire.Integration.fromOpenAPI(openapi, 'azure_machinelearningservices_execution').create({ access_token: 't', host: 'https://eastus.api.azureml.ms' });
}
const ms = Number(process.hrtime.bigint() - started) / 1e6;
process.stdout.write(JSON.stringify({ ms, maxRssKb: require('./peak-rss')() }));
