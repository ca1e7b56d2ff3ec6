// Loaded with --require: the process prints its own peak RSS (KiB) on stderr as it exits.
const peakRssKb = require('./peak-rss');

process.on('exit', () => process.stderr.write(`maxRSS=${peakRssKb()}\n`));
