/**
 * The environment variable naming the directory where the mocha workers of one `npm test` run share
 * program runs under mocks (tests/helpers/program.ts). scripts/test.ts creates the directory for the
 * run and removes it after; without the variable each test process keeps its runs to itself.
 * Its own module, free of imports, so the test runner can name it without loading the Pulumi SDK.
 */
export const PROGRAM_RUN_CACHE_ENV = "ELASTICACHE_GLOBAL_TEST_PROGRAM_RUNS";
