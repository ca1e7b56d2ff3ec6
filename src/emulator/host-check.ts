/**
 * Who may talk to the emulator. It runs anyone's code, so on loopback it answers only requests
 * whose Host names its own address: a web page that rebinds its DNS name to 127.0.0.1 still sends
 * its own name, and gets a 403.
 */
import { isIP } from 'net';

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
  return false;
}

/** The Host values (lower case, with the port) that name a loopback emulator bound to `address`. */
export function allowedHosts(address: string, port: number): Set<string> {
  const literal = isIP(address) === 6 ? `[${address}]` : address;
  return new Set([`${literal}:${port}`, `localhost:${port}`]);
}
