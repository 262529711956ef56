/** Version of @goim/discovery-client (kept equal to package.json by a spec). */
export const version = '0.1.0';
