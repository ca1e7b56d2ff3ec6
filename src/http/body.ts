/**
 * Request bodies are built by a factory, once per attempt: a stream can be sent only once, so a
 * retry needs a fresh one (files are reopened, buffers re-wrapped). A caller's own stream cannot
 * be rebuilt: its factory says so, and refuses a second call.
 */
import type { Readable } from 'stream';

export interface BuiltBody {
  data: Buffer | Readable;
  /** Content-Type, and Content-Length when known (else the body is sent chunked). */
  headers: Record<string, string>;
}

export interface BodyFactory {
  /** False when the body holds a caller's stream that cannot be read again. */
  readonly replayable: boolean;
  /** Why the body cannot be rebuilt, for the error a retry would give. */
  readonly notReplayableReason?: string;
  create(): Promise<BuiltBody>;
}

export function bufferBody(data: Buffer, contentType: string): BodyFactory {
  return {
    replayable: true,
    async create() {
      return { data, headers: { 'content-type': contentType, 'content-length': String(data.length) } };
    },
  };
}
