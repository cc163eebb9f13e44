import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Peer } from '../server/context.js';
import { peerIdentity } from './identity.js';

/** Who is on the other end of a server connection: address, and for TLS its verified identity. */
export function peerOf(socket: Socket): Peer {
  const address = socket.remoteAddress ?? '';
  const port = socket.remotePort ?? 0;
  if (!(socket instanceof TLSSocket)) return { address, port, tls: false };
  const identity = peerIdentity(socket);
  return identity === undefined ? { address, port, tls: true } : { address, port, tls: true, identity };
}
