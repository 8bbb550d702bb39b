/**
 * The ports: every boundary between domain code and a store or service, in one place. AWS
 * adapters (`lambda/shared/`) and local adapters (`local/`) implement them; domain code and
 * handlers see only these interfaces. Each port has one contract suite (`test/contracts/`) that
 * every adapter of it passes.
 */
export * from './detector-state';
export * from './device-history';
export * from './event-store';
export * from './object-store';
export * from './quarantine';
export * from './query-store';
export * from './telemetry-store';
export * from './work-order-store';
