// When the detector cannot open its socket to a local streaming endpoint, the usual cause is its self-signed
// certificate, which the browser has not been told to accept: the socket fails without saying why, and the detector
// reports a connection timeout. The page then checks the endpoint over HTTPS to tell that case from a stopped server.

/** Where the troubleshooting page (docs/troubleshooting.md, built beside the page) explains each problem. */
export const TROUBLESHOOTING = {
  certificate: 'the-local-demo-says-the-connection-to-the-liveness-service-timed-out',
  credentials: 'the-detector-cannot-get-credentials-or-gets-accessdenied',
  camera: 'the-camera-does-not-start',
  sessionNotFound: 'the-detector-says-session-not-found',
  coolDown: '429-too-many-failed-checks-a-cool-down',
  lowConfidence: 'the-check-completes-but-the-verdict-is-not_live-with-a-low-confidence',
} as const;

export type TroubleshootingTopic = keyof typeof TROUBLESHOOTING;

/** The troubleshooting page's address for a topic: config.json's `troubleshootingUrl`, else the copy in the build. */
export function troubleshootingLink(topic: TroubleshootingTopic | undefined, base?: string): string {
  const page = base ?? new URL('assets/troubleshooting.html', window.location.href).href;
  return topic ? `${page.split('#')[0]}#${TROUBLESHOOTING[topic]}` : page;
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The https:// page of a local wss:// endpoint, which a person opens to accept its certificate; else undefined. */
export function localCertificatePage(streamingEndpoint: string | undefined): string | undefined {
  if (!streamingEndpoint) return undefined;
  let url: URL;
  try {
    url = new URL(streamingEndpoint);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'wss:' || !LOCAL_HOSTS.has(url.hostname)) return undefined;
  return `https://${url.host}/`;
}

/** Whether the detector's failure is the socket that never opened (CONNECTION_TIMEOUT, or a WebSocket error). */
export function isConnectionFailure(state: string, error: Error | undefined): boolean {
  return state === 'CONNECTION_TIMEOUT' || /websocket/i.test(`${error?.name ?? ''} ${error?.message ?? ''}`);
}

/** True when the browser completes a TLS handshake with the page: a certificate it refuses makes fetch throw. */
export async function certificateAccepted(page: string): Promise<boolean> {
  try {
    // no-cors: the endpoint sends no CORS headers; an opaque answer still proves the handshake.
    await fetch(page, { mode: 'no-cors', cache: 'no-store', signal: AbortSignal.timeout(5000) });
    return true;
  } catch {
    return false;
  }
}
