/** The synthetic archive's shape version: bump it when the shape changes, so benchmarks rebuild the archive instead of reusing an old one. */
export const SYNTHETIC_VERSION = 4;
