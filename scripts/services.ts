// The services this repository runs, in one place: what `pnpm start` starts and what the e2e
// suite's local target runs as processes. Ports match docker-compose.yml and the kind NodePorts.
import { fileURLToPath } from 'node:url';

export interface ServiceSpec {
  name: string;
  /** The port `pnpm start` serves it on. */
  port: number;
  /** How many replicas the e2e suite runs, as Kubernetes would. */
  replicas: number;
  entry: string;
}

const root = fileURLToPath(new URL('..', import.meta.url));

export const services: readonly ServiceSpec[] = [
  { name: 'geo', port: 8084, replicas: 2, entry: `${root}services/geo/src/main.ts` },
];

export function serviceNamed(name: string): ServiceSpec {
  const spec = services.find((service) => service.name === name);
  if (!spec) throw new Error(`no service named ${name}`);
  return spec;
}
