/**
 * One request path for every action: a chain of small policies around a transport, as in
 * Azure's core-rest-pipeline. A policy may change the request, look at the answer, or send again.
 */
import type { BodyFactory } from './body';
import type { UploadProgress } from './call-options';

export interface PipelineRequest {
  method: string;
  url: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body?: BodyFactory;
  /** `arraybuffer`: the body is read whole into a Buffer. */
  responseType: 'buffer';
  /** The action making the request, e.g. `azure_machinelearningservices_execution/Runs_StartRun`: for errors and logs. */
  action: string;
  /** The base URL (scheme, host, port): named by network errors. */
  baseUrl: string;
  signal?: AbortSignal;
  /** Per-attempt idle timeout (connect and between bytes), in ms. */
  timeoutMs?: number;
  /** Told as the body goes out, per attempt. */
  onUploadProgress?: (progress: UploadProgress) => void;
  /** Attempts started so far for this call (kept by the transport, for progress). */
  attemptsStarted?: number;
  /**
   * For requests that start work: after an ambiguous failure, tells whether the work was done
   * (an answer to return instead of sending again) before the retry policy sends it again.
   */
  recover?: () => Promise<PipelineResponse | undefined>;
  /**
   * For a 2xx answer: where its body goes, chunk by chunk, instead of into memory (the answer's
   * `body` is then empty). A factory, called once per attempt with the answer's status: a retried
   * request starts its body again, and the sink must start again too; undefined reads the body
   * into memory as usual. The next chunk is read when the last one's promise resolves; a
   * rejection fails the call.
   */
  responseSink?: (status: number) => ((chunk: Buffer) => Promise<void> | void) | undefined;
  /** Largest answer body, after decompression (a larger one is an AzureMLResponseFormatError). */
  maxResponseBytes?: number;
  /** Which setting raises maxResponseBytes, for its error. */
  maxResponseSetting?: string;
  /** The URL's path is a secret (a webhook's): logs show only the origin. */
  redactPath?: boolean;
  /** Values to scrub from anything an answer puts into an error (tokens, secrets), computed only when needed: see scrub.ts. */
  secrets?: () => readonly string[];
}

export interface PipelineResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  request: PipelineRequest;
  /** A 401 that came after the token was refreshed for this very request. */
  afterTokenRefresh?: boolean;
  /** Attempts made for this answer (set by the retry policy). */
  attempts?: number;
  /** Why the retries ended, or why there were none. */
  retryNote?: string;
}

export type SendRequest = (request: PipelineRequest) => Promise<PipelineResponse>;

export interface PipelinePolicy {
  readonly name: string;
  sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse>;
}

/** Composes policies, the first one outermost, around the transport. */
export function createPipeline(policies: readonly PipelinePolicy[], transport: SendRequest): SendRequest {
  return policies.reduceRight<SendRequest>((next, policy) => (request) => policy.sendRequest(request, next), transport);
}
