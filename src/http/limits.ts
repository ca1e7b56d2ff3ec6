/**
 * How much of an answer the client reads into memory. An answer is held whole (JSON is parsed,
 * files are returned as Buffers), so each kind has a cap, counted after decompression; past it
 * the call fails with an AzureMLResponseFormatError that names the cap and the setting.
 */

/** JSON answers and error bodies (ClientOptions.maxResponseBytes). */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** File answers, such as Runs_StartLocalRun's zip (ClientOptions.maxFileResponseBytes). */
export const DEFAULT_MAX_FILE_RESPONSE_BYTES = 1024 * 1024 * 1024;
/** One read of a log (getRunLog's maxBytes): logs are read in ranges of at most this. */
export const DEFAULT_LOG_READ_BYTES = 8 * 1024 * 1024;

export function describeBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / 1024 / 1024} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return bytes === 1 ? '1 byte' : `${bytes} bytes`;
}
