// Loaded with --require: the process prints its own peak RSS on stderr as it exits.
process.on('exit', () => process.stderr.write(`maxRSS=${process.resourceUsage().maxRSS}\n`));
