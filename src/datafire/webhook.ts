/**
 * Webhooks of the report action. A webhook's path is its secret (Slack, Teams): logs and errors
 * name only its origin.
 */
import { AzureMLValidationError } from '../errors';
import { bufferBody } from '../http/body';
import type { PipelineResponse } from '../http/pipeline';
import { defaultLinkPipeline } from '../http/standard-pipeline';

/**
 * POSTs JSON to a webhook through the link pipeline (user agent, retries, logging, size caps).
 * `setting` names where the URL came from, for the error of a URL that is not one.
 */
export async function postWebhook(url: string, body: unknown, action: string, setting: string, signal: AbortSignal | undefined): Promise<PipelineResponse> {
  let origin: string;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('not http(s)');
    origin = parsed.origin;
  } catch {
    // Not even the origin is shown: the whole text may be the secret.
    throw new AzureMLValidationError({ action, problems: [{ path: setting, message: 'must be an http or https URL' }] });
  }
  return defaultLinkPipeline()({
    method: 'post',
    url,
    headers: {},
    body: bufferBody(Buffer.from(JSON.stringify(body)), 'application/json'),
    responseType: 'buffer',
    action,
    baseUrl: origin,
    signal,
    timeoutMs: WEBHOOK_TIMEOUT_MS,
    maxResponseBytes: WEBHOOK_MAX_ANSWER_BYTES,
    redactPath: true,
  });
}

/** Per attempt: a webhook that does not answer in 30 s is retried, then reported. */
const WEBHOOK_TIMEOUT_MS = 30_000;
/** A webhook's answer is read and dropped: a few KiB are plenty. */
const WEBHOOK_MAX_ANSWER_BYTES = 1024 * 1024;
