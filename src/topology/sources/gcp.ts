import { metadataRequest } from '../http-get.js';
import type { ResolvedSource } from '../options.js';
import type { SourceAnswer, TopologySource } from '../topology.js';
import { failure, GarbageAnswer, ok, quote } from './answer.js';
import { checkedName } from './answer.js';

type GcpConfig = Extract<ResolvedSource, { name: 'gcp' }>;

/**
 * Google Compute Engine metadata: `GET /computeMetadata/v1/instance/zone` with
 * `Metadata-Flavor: Google`, answered `projects/NUMBER/zones/ZONE`; the region is the zone less its
 * last `-x`. Like Google's libraries, an answer without the `Metadata-Flavor: Google` response
 * header is not the metadata server (a captive portal, a proxy) and is refused.
 */
export function gcpSource(config: GcpConfig): TopologySource {
  return {
    name: 'gcp',
    async lookup(signal): Promise<SourceAnswer> {
      try {
        const res = await metadataRequest({
          url: `http://${config.host}/computeMetadata/v1/instance/zone`,
          headers: { 'metadata-flavor': 'Google' },
          signal,
        });
        const body = ok(res, 'instance/zone').trim();
        if (res.headers['metadata-flavor'] !== 'Google')
          throw new GarbageAnswer(
            'answer without the Metadata-Flavor: Google header (not a metadata server)',
          );
        const match = /^projects\/[^/]+\/zones\/([^/]+)$/.exec(body);
        if (match === null) throw new GarbageAnswer(`garbage instance/zone ${quote(body)}`);
        const zone = checkedName(match[1] as string, 'zone');
        const cut = zone.lastIndexOf('-');
        if (cut <= 0) throw new GarbageAnswer(`garbage zone ${quote(zone)}`);
        const region = zone.slice(0, cut);
        return { kind: 'found', locality: { region, zone }, detail: `region ${region}, zone ${zone}` };
      } catch (error) {
        return failure(error);
      }
    },
  };
}
