import { metadataRequest } from '../http-get.js';
import type { ResolvedSource } from '../options.js';
import type { SourceAnswer, TopologySource } from '../topology.js';
import { checkedName, failure, ok } from './answer.js';

type AwsConfig = Extract<ResolvedSource, { name: 'aws' }>;

/** The TTL the AWS SDKs ask for (6 h); one lookup per process needs far less, but it costs nothing. */
const TOKEN_TTL_SECONDS = '21600';

/**
 * AWS EC2 instance metadata, IMDSv2 only (as the SDKs do first): `PUT /latest/api/token` with
 * `X-aws-ec2-metadata-token-ttl-seconds`, then `placement/region`, `placement/availability-zone`
 * and `placement/availability-zone-id` with `X-aws-ec2-metadata-token`. No IMDSv1 fallback: a
 * host that refuses tokens has turned metadata off, and unauthenticated GETs are what IMDSv2
 * exists to stop.
 */
export function awsSource(config: AwsConfig): TopologySource {
  return {
    name: 'aws',
    async lookup(signal): Promise<SourceAnswer> {
      try {
        const token = await metadataRequest({
          method: 'PUT',
          url: `${config.endpoint}/latest/api/token`,
          headers: { 'x-aws-ec2-metadata-token-ttl-seconds': TOKEN_TTL_SECONDS },
          signal,
        });
        const value = ok(token, 'token').trim();
        if (value === '' || !/^[\x21-\x7e]+$/.test(value) || value.length > 4096)
          throw new Error('token: garbage answer');
        const get = async (path: string): Promise<string> =>
          ok(
            await metadataRequest({
              url: `${config.endpoint}/latest/meta-data/placement/${path}`,
              headers: { 'x-aws-ec2-metadata-token': value },
              signal,
            }),
            path,
          );
        const [region, zoneName, zoneId] = await Promise.all([
          get('region'),
          get('availability-zone'),
          get('availability-zone-id'),
        ]);
        const r = checkedName(region, 'region');
        const name = checkedName(zoneName, 'availability-zone');
        const id = checkedName(zoneId, 'availability-zone-id');
        const zone = config.zone === 'id' ? id : name;
        return { kind: 'found', locality: { region: r, zone }, detail: `region ${r}, zone ${name} (${id})` };
      } catch (error) {
        return failure(error);
      }
    },
  };
}
