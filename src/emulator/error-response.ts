/** The service's ErrorResponse, as the emulator answers it and as it records a run's error. */
import { randomBytes } from 'crypto';
import type { ErrorResponse } from '../spec/execution/types';

export function errorResponse(
  code: string,
  message: string,
  extra: { target?: string; details?: Array<{ code?: string; message?: string; target?: string }>; innerCode?: string } = {},
): ErrorResponse {
  const error: NonNullable<ErrorResponse['error']> = { code, message };
  if (extra.target) error.target = extra.target;
  if (extra.details) error.details = extra.details;
  if (extra.innerCode) error.innerError = { code: extra.innerCode };
  return {
    error,
    correlation: { operation: randomBytes(8).toString('hex'), request: randomBytes(8).toString('hex') },
    environment: 'local',
    location: 'local',
    time: new Date().toISOString(),
  };
}
