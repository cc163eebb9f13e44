export { startRegistrar, type Registrar } from './registrar.js';
export {
  formatRegistrarExplanation,
  type ExplainedRefusal,
  type ExplainedRegistration,
  type RegistrarExplanation,
} from './explain.js';
export type { InstanceLossEvent, RegisteredEvent, RegistrarErrorEvent, RegistrarState } from './events.js';
export type { RegistrarInstanceInput, RegistrarOptions } from './options.js';
export type { RegistrationBreakerState } from './breaker.js';
export { localityFromEnv, resolveLocality, type Env, type LocalityRole } from '../topology/env.js';
export { detectHost, type NetworkInterfaces } from './address.js';
