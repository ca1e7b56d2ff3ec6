// DataFire finds a project's own integrations in ./integrations/<id>: the v2 (jobs, code, computes) integration of this package.
module.exports = require('../../dist/v2.js');
