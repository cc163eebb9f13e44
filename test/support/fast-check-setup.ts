import fc from 'fast-check';

/**
 * Every property test (`fc.assert`) prints its seed and path when it fails. To replay a failure
 * seen elsewhere, run the test with `PROXIMA_PROPERTY_SEED=<seed>` (and, to jump straight to the
 * counterexample, `PROXIMA_PROPERTY_PATH=<path>`): this setup file hands them to every property.
 */
const seed = process.env.PROXIMA_PROPERTY_SEED;
const path = process.env.PROXIMA_PROPERTY_PATH;
if (seed !== undefined && seed !== '') {
  fc.configureGlobal({
    seed: Number(seed),
    ...(path === undefined || path === '' ? {} : { path }),
  });
}
