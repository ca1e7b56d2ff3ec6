// This process's own peak RSS in KiB. Linux keeps ru_maxrss (process.resourceUsage().maxRSS)
// across fork and exec, so a child started by a large parent reports the parent's size; VmHWM
// belongs to the memory of the program now running. Elsewhere, maxRSS is what there is.
const fs = require('fs');

module.exports = function peakRssKb() {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
};
