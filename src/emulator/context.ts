import type { EmulatorAuth } from './auth';
import type { BlobSigner } from './blob-sas';
import type { BlobStore } from './blob-store';
import type { ComputePool } from './compute-pool';
import type { MetricsStore } from './metrics-store';
import type { Runner } from './runner';
import type { Store } from './store';

export interface EmulatorSettings {
  /** Largest project.zip startrun accepts (the service's limit: 25 MB). */
  maxZipBytes: number;
  /** Largest total size a project may expand to. */
  maxExtractedBytes: number;
  maxZipEntries: number;
  /** Runs per page of Runs_GetByQuery and Runs_GetChild. */
  pageSize: number;
  /** The Python interpreter scripts run with: `python` in a v2 job's command is this one. */
  python: string;
}

/** What every handler works with. */
export interface EmulatorContext {
  store: Store;
  metrics: MetricsStore;
  runner: Runner;
  /** Compute clusters: their state by the clock, their nodes, where queued runs may start. */
  computes: ComputePool;
  auth: EmulatorAuth;
  options: EmulatorSettings;
  /** The emulator's base URL, for the file links it hands out. */
  baseUrl: string;
  /** Blob containers (code uploads) and the signer of their SAS links. */
  blobs: BlobStore;
  blobSigner: BlobSigner;
  /** The emulator's clock, in ms (tests move it: SAS expiry). */
  now: () => number;
}
