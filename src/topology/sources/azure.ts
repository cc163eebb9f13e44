import { metadataRequest } from '../http-get.js';
import type { ResolvedSource } from '../options.js';
import type { SourceAnswer, TopologySource } from '../topology.js';
import { checkedName, failure, GarbageAnswer, ok, quote } from './answer.js';

type AzureConfig = Extract<ResolvedSource, { name: 'azure' }>;

/**
 * Azure Instance Metadata Service: `GET /metadata/instance/compute?api-version=…` with
 * `Metadata: true`, reading `location` (the region, `westeurope`) and `zone` (`"1"`, or `""` for a
 * VM outside availability zones). The zone is named `LOCATION-N`, as AKS labels nodes
 * (`topology.kubernetes.io/zone=westeurope-1`), so VMs and pods of one zone agree.
 */
export function azureSource(config: AzureConfig): TopologySource {
  return {
    name: 'azure',
    async lookup(signal): Promise<SourceAnswer> {
      try {
        const res = await metadataRequest({
          url: `${config.url}/metadata/instance/compute?api-version=${encodeURIComponent(config.apiVersion)}&format=json`,
          headers: { metadata: 'true' },
          signal,
        });
        const body = ok(res, 'metadata/instance/compute');
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          throw new GarbageAnswer(`garbage compute document ${quote(body)}`);
        }
        const doc = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
        if (typeof doc.location !== 'string')
          throw new GarbageAnswer(`compute document without a location ${quote(body)}`);
        const region = checkedName(doc.location, 'location');
        const zoneNumber = typeof doc.zone === 'string' ? doc.zone.trim() : '';
        if (zoneNumber === '') {
          return { kind: 'found', locality: { region }, detail: `region ${region}, no availability zone` };
        }
        const zone = checkedName(`${region}-${zoneNumber}`, 'zone');
        return { kind: 'found', locality: { region, zone }, detail: `region ${region}, zone ${zone}` };
      } catch (error) {
        return failure(error);
      }
    },
  };
}
