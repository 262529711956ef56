/** Version of @goim/bucket (kept equal to package.json; a spec checks it). */
export const VERSION = '0.1.0';
