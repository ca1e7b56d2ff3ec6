/** Inputs and bytes shared by the tests. */
import type { Runs_StartRunInput } from '../../src';

export const SUBSCRIPTION = '6a8bd9bb-1df3-4bca-9b24-27a7f3e5b9e7';
export const TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.test-access-token.signature';
export const BASE_PATH = `/execution/v1.0/subscriptions/${SUBSCRIPTION}/resourceGroups/my-rg/providers/Microsoft.MachineLearningServices/workspaces/my-ws/experiments/my-exp`;

export const WORKSPACE = {
  subscriptionId: SUBSCRIPTION,
  resourceGroupName: 'my-rg',
  workspaceName: 'my-ws',
  experimentName: 'my-exp',
};

/** Every byte value once, after a zip signature: what an upload or a download must carry intact. */
export const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
export const ZIP_BYTES = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), ALL_BYTES, Buffer.from(ALL_BYTES).reverse()]);

export const DEFINITION = { configuration: { script: 'hello.py', arguments: ['234'], framework: 'Python' as const, target: 'local' } };

export function startRunInput(overrides: Partial<Runs_StartRunInput> = {}): Runs_StartRunInput {
  return { ...WORKSPACE, runDefinitionFile: JSON.stringify(DEFINITION), projectZipFile: ZIP_BYTES, ...overrides };
}

/** The bytes form-data writes for one file part. */
export function multipartPart(boundary: string, name: string, filename: string, contentType: string, content: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`, 'latin1'),
    content,
    Buffer.from('\r\n', 'latin1'),
  ]);
}

export function multipartBody(boundary: string, parts: Buffer[]): Buffer {
  return Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`, 'latin1')]);
}

export function boundaryOf(contentType: string | undefined): string {
  const match = /^multipart\/form-data; boundary=(.+)$/.exec(contentType ?? '');
  if (!match) throw new Error(`not a multipart content type: ${contentType}`);
  return match[1];
}
