/**
 * In the workflow folder's mutation run, a setup file of every test file: loads the workflow
 * modules that the client loads on first use (src/client/create-client.ts), before any test.
 *
 * Why: Stryker calls a mutant of module-level code (a table of reasons, a regex, a set of
 * names) "static" when it runs while a file loads, and leaves it out (ignoreStatic), as for
 * http/ and auth/. A module loaded lazily inside a test instead runs that code during the test,
 * so the mutant looks covered by that one test alone: Stryker then runs only it, and reports a
 * survivor whatever the other tests check. Loaded here, the code runs at load time in every
 * file, as a top-level import would make it, and the lazy require finds it loaded.
 */
for (const folder of ['', 'v2/', 'compute/', 'batchai/']) {
  require(`../../src/workflow/${folder}index`);
}
