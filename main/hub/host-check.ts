// DNS-rebinding guard for the hub: a web page on another site can make a browser on this computer
// send requests to 127.0.0.1 under the attacker's own host name (the name is rebound to 127.0.0.1
// after the page loads). Such requests carry that name in the Host header, so the hub answers only
// requests whose Host is an IP literal (what agents reached over adb reverse, a tunnel or the LAN
// use), `localhost`, or a name the hub was told to expect. Not authentication: tokens guard the
// WebSocket and uploads; this keeps /files and /agent from being read across origins.
import { isIP } from 'node:net';

/** The host name of a Host header value (no port, IPv6 without brackets, lower case), or null if malformed. */
export function hostName(header: string | undefined): string | null {
  if (!header) return null;
  const h = header.trim().toLowerCase();
  const v6 = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(h);
  if (v6) return v6[1]!;
  const m = /^([a-z0-9.-]+)(?::\d{1,5})?$/.exec(h);
  return m ? m[1]!.replace(/\.$/, '') : null;
}

/** Whether a request with this Host header may be answered; extra: further names allowed (lower case). */
export function hostAllowed(header: string | undefined, extra: readonly string[] = []): boolean {
  const name = hostName(header);
  if (name === null) return false;
  return isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost') || extra.includes(name);
}

/** The message a refused request gets. */
export function hostRefusal(header: string | undefined): string {
  return `refused: Host "${header ?? ''}" is not an IP address or localhost (a DNS-rebinding guard); ` +
    'reach the hub by IP address, or start it with allowedHosts naming this host';
}
