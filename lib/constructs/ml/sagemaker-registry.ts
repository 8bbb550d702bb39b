/**
 * Registry accounts of SageMaker's built-in algorithm images, by region, as the SageMaker Python
 * SDK keeps them (`image_uri_config/randomcutforest.json`, `xgboost.json`). Step Functions needs
 * the image URI (`trainingImage`), not an algorithm name. The stack turns these maps into a
 * CloudFormation mapping, so a region-agnostic template resolves the image at deploy time.
 */
export const RANDOM_CUT_FOREST = {
  repository: 'randomcutforest',
  tag: '1',
  accounts: {
    'us-east-1': '382416733822',
    'us-east-2': '404615174143',
    'us-west-1': '632365934929',
    'us-west-2': '174872318107',
    'ca-central-1': '469771592824',
    'eu-west-1': '438346466558',
    'eu-west-2': '644912444149',
    'eu-west-3': '749696950732',
    'eu-central-1': '664544806723',
    'eu-north-1': '669576153137',
    'ap-south-1': '991648021394',
    'ap-northeast-1': '351501993468',
    'ap-northeast-2': '835164637446',
    'ap-southeast-1': '475088953585',
    'ap-southeast-2': '712309505854',
    'sa-east-1': '855470959533',
  },
} as const;

export const XGBOOST = {
  repository: 'sagemaker-xgboost',
  tag: '1.7-1',
  accounts: {
    'us-east-1': '683313688378',
    'us-east-2': '257758044811',
    'us-west-1': '746614075791',
    'us-west-2': '246618743249',
    'ca-central-1': '341280168497',
    'eu-west-1': '141502667606',
    'eu-west-2': '764974769150',
    'eu-west-3': '659782779980',
    'eu-central-1': '492215442770',
    'eu-north-1': '662702820516',
    'ap-south-1': '720646828776',
    'ap-northeast-1': '354813040037',
    'ap-northeast-2': '366743142698',
    'ap-southeast-1': '121021644041',
    'ap-southeast-2': '783357654285',
    'sa-east-1': '737474898029',
  },
} as const;

export type BuiltInAlgorithm = typeof RANDOM_CUT_FOREST | typeof XGBOOST;

/** The image URI of a built-in algorithm in a region; throws for a region the map does not know. */
export function algorithmImage(algorithm: BuiltInAlgorithm, region: string): string {
  const account = (algorithm.accounts as Record<string, string>)[region];
  if (!account) {
    throw new Error(
      `no ${algorithm.repository} registry known for ${region}; known: ${Object.keys(algorithm.accounts).join(', ')}`,
    );
  }
  return `${account}.dkr.ecr.${region}.amazonaws.com/${algorithm.repository}:${algorithm.tag}`;
}
