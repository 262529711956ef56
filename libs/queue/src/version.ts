/** Version of @goim/queue (kept equal to package.json; a spec checks it). */
export const version = '0.1.0';
