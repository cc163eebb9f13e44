import { ErrorCode, ProximaError } from '../core/errors.js';
import type { XdsReadAccess } from '../xds/xds-server.js';
import type { AclPolicy } from './security/acl.js';

/**
 * The ACL's read rules on the xDS port: a stream is who the `authorization: Bearer <token>` of its
 * call metadata names (anonymous without one, when the ACL allows anonymous reads; otherwise it is
 * refused UNAUTHENTICATED), and is served only the services that identity may read. The identity
 * is settled when the stream opens, so an ACL reload applies to the streams opened after it.
 */
export function xdsReadAccess(acl: AclPolicy): XdsReadAccess {
  return (call) => {
    const values = call.metadata.get('authorization');
    const [value] = values;
    if (values.length > 1 || Buffer.isBuffer(value))
      throw new ProximaError(ErrorCode.UNAUTHENTICATED, 'expected one authorization: Bearer <token>');
    const principal = acl.authenticateHeader(value, `peer ${call.getPeer()}`);
    return (service) => principal.may('read', service);
  };
}
