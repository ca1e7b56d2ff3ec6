// DataFire finds a project's own integrations in ./integrations/<id>: the Run History integration of this package.
module.exports = require('../../dist/runhistory.js');
