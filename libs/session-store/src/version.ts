/** Version of @goim/session-store (kept equal to package.json by a spec). */
export const version = '0.1.0';
