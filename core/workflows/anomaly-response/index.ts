/**
 * The domain of the anomaly-response workflow (`lib/workflows/anomaly-response.asl.json`):
 * each Task of the ASL maps to one function here. The task Lambdas in AWS and the local
 * runner call the same functions with their own adapters.
 */
export * from './acknowledge';
export * from './classify';
export * from './command';
export * from './enrich';
export * from './start';
export * from './work-orders';
