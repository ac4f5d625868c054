/** Kept in sync with package.json by scripts/build-node.mjs's check. */
export const APP_VERSION = '0.1.0';
