import { DEFAULT_DETECTOR_CONFIG } from '../../../core/detector';
import { loadEnv } from '../../shared/env';
import { ClassifyEnv } from './env';
import { makeHandler } from './handler';

loadEnv(ClassifyEnv);

export const handler = makeHandler({ thresholds: DEFAULT_DETECTOR_CONFIG.severity });
