import { AzureMLValidationError } from '../../src';
/** The error a promise rejects with; a promise that fulfils fails the test. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('the call was expected to fail');
    },
    (e: Error) => e,
  );
}

/** The AzureMLValidationError `fn` throws; returning, or throwing anything else, fails the test. */
export function validationError(fn: () => unknown): AzureMLValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AzureMLValidationError);
    return error as AzureMLValidationError;
  }
  throw new Error('the call was expected to throw a validation error');
}
