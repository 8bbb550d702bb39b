import { S3Client } from '@aws-sdk/client-s3';
import { evaluateCandidate } from '../../../core/workflows/retraining';
import { S3ObjectStore } from '../../shared/s3-objects';

const objects = new S3ObjectStore(new S3Client({}));

/** Task of the retraining workflow: candidate against current on the labelled windows. */
export const handler = async (event: unknown) => evaluateCandidate(event, { objects });
