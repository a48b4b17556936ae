// Ports of the end-to-end server (playwright.config.ts starts it): E2E_PORT moves them all, for runs side by side.
export const port = Number(process.env.E2E_PORT ?? 19851);
export const rtspPort = port - 1297;
export const rtmpPort = port - 1296;
