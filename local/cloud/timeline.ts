/**
 * Timeline presets: how long each simulated transition takes, in virtual milliseconds.
 *
 * `instant` is for unit tests (every transition is due at once, so the next read sees it);
 * `realistic` follows what AWS and Atlas usually take; `slow` is what users report on bad days.
 */
export interface Timeline {
  /** Serverless endpoint RESERVATION_REQUESTED -> RESERVED (endpointServiceName appears). */
  readonly serverlessReservation: number;
  /** Serverless endpoint INITIATING -> AVAILABLE after the PATCH (Atlas accepts the VPC endpoint). */
  readonly serverlessAcceptance: number;
  /** Serverless endpoint DELETING -> gone. */
  readonly serverlessDeletion: number;
  /**
   * Dedicated endpoint service INITIATING -> its ready status (endpointServiceName appears): AVAILABLE on
   * today's Atlas, WAITING_FOR_USER with the world option `endpointServiceReadyStatus` (older behaviour).
   */
  readonly endpointServiceCreation: number;
  /** Dedicated endpoint service DELETING -> gone. */
  readonly endpointServiceDeletion: number;
  /** Dedicated interface endpoint PENDING_ACCEPTANCE -> PENDING. */
  readonly interfaceEndpointAcceptance: number;
  /** Dedicated interface endpoint PENDING -> AVAILABLE. */
  readonly interfaceEndpointAvailable: number;
  /** Dedicated interface endpoint DELETING -> gone. */
  readonly interfaceEndpointDeletion: number;
  /**
   * A cluster (or serverless instance) applying a private endpoint that just became AVAILABLE: stateName
   * UPDATING -> IDLE, and only then does `connectionStrings.privateEndpoint[]` name that VPC endpoint.
   * Facts §10 ("connection strings"): the entry shows up about 3-5 minutes after the interface endpoint is
   * AVAILABLE; Terraform waits for every cluster of the project to be IDLE. `realistic` takes 4 minutes (the
   * middle of that range); ASSUMPTION: 20 minutes on `slow` (no source gives a bad-day figure).
   */
  readonly privateEndpointApply: number;
  /** AWS VPC endpoint pending -> pendingAcceptance. */
  readonly vpcEndpointProvisioning: number;
  /** AWS VPC endpoint deleting -> deleted (gone from Describe). */
  readonly vpcEndpointDeletion: number;
}

export type PresetName = 'instant' | 'realistic' | 'slow';

const S = 1000;
const M = 60 * S;

export const PRESETS: Readonly<Record<PresetName, Timeline>> = {
  instant: {
    serverlessReservation: 0,
    serverlessAcceptance: 0,
    serverlessDeletion: 0,
    endpointServiceCreation: 0,
    endpointServiceDeletion: 0,
    interfaceEndpointAcceptance: 0,
    interfaceEndpointAvailable: 0,
    interfaceEndpointDeletion: 0,
    privateEndpointApply: 0,
    vpcEndpointProvisioning: 0,
    vpcEndpointDeletion: 0,
  },
  realistic: {
    serverlessReservation: 60 * S,
    serverlessAcceptance: 150 * S,
    serverlessDeletion: 30 * S,
    endpointServiceCreation: 90 * S,
    endpointServiceDeletion: 60 * S,
    interfaceEndpointAcceptance: 30 * S,
    interfaceEndpointAvailable: 90 * S,
    interfaceEndpointDeletion: 30 * S,
    privateEndpointApply: 4 * M,
    vpcEndpointProvisioning: 20 * S,
    vpcEndpointDeletion: 15 * S,
  },
  slow: {
    serverlessReservation: 30 * M,
    serverlessAcceptance: 35 * M,
    serverlessDeletion: 10 * M,
    endpointServiceCreation: 30 * M,
    endpointServiceDeletion: 10 * M,
    interfaceEndpointAcceptance: 10 * M,
    interfaceEndpointAvailable: 25 * M,
    interfaceEndpointDeletion: 10 * M,
    privateEndpointApply: 20 * M,
    vpcEndpointProvisioning: 2 * M,
    vpcEndpointDeletion: 2 * M,
  },
};

export function isPresetName(value: string): value is PresetName {
  return Object.hasOwn(PRESETS, value);
}
