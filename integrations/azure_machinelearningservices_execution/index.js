// DataFire finds a project's own integrations in ./integrations/<id> (`datafire list`,
// `datafire run azure_machinelearningservices_execution/<action>`): this one is this package.
module.exports = require('../..');
