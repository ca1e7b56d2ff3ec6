// Tests never reach the internet: only loopback servers they start themselves.
import nock from 'nock';

beforeAll(() => {
  if (!nock.isActive()) nock.activate();
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
});

afterEach(() => {
  nock.cleanAll();
});

// Jest runs several test files in one worker process: nock patches the process's http module, so
// each file's nock must give it back, or the next file's interceptors are never consulted.
afterAll(() => {
  nock.restore();
});
