/** The error a promise rejects with; a promise that fulfils fails the test. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('the call was expected to fail');
    },
    (e: Error) => e,
  );
}
