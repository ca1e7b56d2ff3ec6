/** The operations each API's OpenAPI file keeps from its public description (see subset.ts). */
export interface SubsetEntry {
  openapiFile: string;
  title: string;
  description: string;
  operations: readonly string[];
  /**
   * Where the public file says something the service does not do, the value it really takes, at a
   * JSON pointer into the subset, with the reason. Kept few, each checked by a test.
   */
  corrections?: ReadonlyArray<{ pointer: string; value: unknown; reason: string }>;
}

export const SUBSETS: Record<string, SubsetEntry> = {
  runhistory: {
    openapiFile: 'src/spec/runhistory/openapi.json',
    title: 'Run History APIs (subset)',
    description:
      'The Run History operations that submitting, watching and collecting a run need: experiments, runs, run details (with log files), run queries, artifacts and metrics. A subset of Azure/azure-rest-api-specs specification/machinelearningservices/data-plane/Microsoft.MachineLearningServices/preview/2019-09-30/runHistory.json, unchanged but for the operations left out (made by scripts/generator/subset.ts).',
    operations: [
      'Experiments_Get',
      'Experiments_Create',
      'Runs_GetChild',
      'Runs_GetDetails',
      'Runs_Get',
      'Runs_GetByQuery',
      'RunArtifacts_ListInContainer',
      'RunArtifacts_ListInPath',
      'RunArtifacts_GetById',
      'RunArtifacts_GetContentInformation',
      'RunArtifacts_GetSasUri',
      'RunArtifacts_ListSasByPrefix',
      'RunArtifacts_BatchCreateEmptyArtifacts',
      'RunMetrics_Post',
      'RunMetrics_BatchPost',
      'RunMetrics_Get',
      'RunMetrics_GetByQuery',
    ],
    corrections: [
      // AutoRest writes `type: object` for .NET's `object` (any value); a metric cell holds numbers,
      // strings and booleans ({"loss": 0.25}), as azureml-core's run.log sends them.
      { pointer: '/definitions/Metric/properties/cells/items/additionalProperties', value: {}, reason: 'a cell value is any JSON value, not only an object' },
      { pointer: '/definitions/RunMetric/properties/cells/items/additionalProperties', value: {}, reason: 'a cell value is any JSON value, not only an object' },
    ],
  },
};
