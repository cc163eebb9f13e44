export {
  type ClientTlsOptions,
  type Pem,
  type ServerTlsOptions,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  checkClientTls,
  checkServerTls,
  clientTlsFromEnv,
  serverTlsFromEnv,
} from './options.js';
export { type PeerIdentity, identityNames } from './identity.js';
export { PLAINTEXT_REFUSAL } from './acceptor.js';
