/** Kept equal to package.json's version (a test checks); sent as `user-agent: liverelay-sdk/<version>`. */
export const SDK_VERSION = "0.1.0";
