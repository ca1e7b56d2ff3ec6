/**
 * multipart/form-data bodies with form-data. Files on disk are streamed with their length from
 * stat, so a 1 GiB project never sits in memory and the request still has a Content-Length.
 */
import * as fs from 'fs';
import type FormDataClass from 'form-data';
import { AzureMLError } from '../errors';
import type { BodyFactory, BuiltBody } from './body';
import type { ClassifiedPart } from './file-input';

export interface MultipartPart extends ClassifiedPart {
  /** The part's name on the wire. */
  name: string;
  defaultFilename: string;
  defaultContentType: string;
}

let FormData: typeof FormDataClass | undefined;

function loadFormData(): typeof FormDataClass {
  return (FormData ??= require('form-data') as typeof FormDataClass);
}

export function multipartBody(parts: MultipartPart[], action: string): BodyFactory {
  const oneShot = parts.filter((p) => p.source.kind === 'stream').map((p) => p.name);
  let created = 0;
  const reason = oneShot.length
    ? `${oneShot.join(' and ')} ${oneShot.length > 1 ? 'are streams' : 'is a stream'} that can be read only once; give a Buffer or {path} to allow resending`
    : undefined;

  return {
    replayable: oneShot.length === 0,
    notReplayableReason: reason,
    async create(): Promise<BuiltBody> {
      if (created++ > 0 && reason) throw new AzureMLError({ message: `Action ${action} cannot send its body again: ${reason}`, action });
      const Form = loadFormData();
      const form = new Form();
      for (const part of parts) {
        const options = {
          filename: part.filename ?? part.defaultFilename,
          contentType: part.contentType ?? part.defaultContentType,
        };
        const source = part.source;
        if (source.kind === 'bytes') {
          form.append(part.name, source.data, options);
        } else if (source.kind === 'path') {
          // Stat per attempt: the file may have changed since the last one.
          const { size } = await fs.promises.stat(source.path);
          // 1 MiB reads: fewer, larger chunks through form-data's combined stream (measured: faster uploads).
          form.append(part.name, fs.createReadStream(source.path, { highWaterMark: 1 << 20 }), { ...options, knownLength: size });
        } else {
          form.append(part.name, source.stream, options);
        }
      }
      const headers: Record<string, string> = { 'content-type': `multipart/form-data; boundary=${form.getBoundary()}` };
      if (form.hasKnownLength()) headers['content-length'] = String(form.getLengthSync());
      return { data: form, headers };
    },
  };
}
