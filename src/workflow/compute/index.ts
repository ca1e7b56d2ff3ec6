/** Compute clusters (loaded on first use by create(), the CLI and the DataFire actions). */
export {
  createCompute,
  resizeCompute,
  getCompute,
  listComputes,
  listNodes,
  deleteCompute,
  resolveCompute,
  type ComputeRef,
  type ComputeLocator,
  type ComputeOperationOptions,
  type DeletedCompute,
} from './computes';
export { waitForCompute, isComputeReady, type WaitForComputeOptions } from './wait-for-compute';
export { computeSummary, computeErrors, type ComputeSummary } from './compute-summary';
export { computeResourceOf, scaleSettingsOf, computeNameProblem, type ComputeSpec, type ComputeScale } from './compute-spec';
