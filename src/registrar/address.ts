import type { NetworkInterfaceInfo } from 'node:os';

/** `os.networkInterfaces()`-shaped, injectable so tests never depend on the machine's network. */
export type NetworkInterfaces = () => NodeJS.Dict<NetworkInterfaceInfo[]>;

/**
 * The address other machines can reach this one at: the first non-internal IPv4 address, in the
 * order the OS lists interfaces. `undefined` when there is none (a sandbox with loopback only).
 */
export function detectHost(interfaces: NetworkInterfaces): string | undefined {
  for (const infos of Object.values(interfaces())) {
    for (const info of infos ?? []) {
      if (!info.internal && info.family === 'IPv4') return info.address;
    }
  }
  return undefined;
}
