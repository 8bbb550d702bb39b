import type * as quicksight from 'aws-cdk-lib/aws-quicksight';

type Definition = quicksight.CfnDashboard.DashboardVersionDefinitionProperty;
type Visual = quicksight.CfnDashboard.VisualProperty;
type Column = quicksight.CfnDashboard.ColumnIdentifierProperty;

/** Identifiers of the datasets inside the dashboard definition. */
export const DATASETS = {
  telemetry: 'telemetry',
  anomalies: 'anomalies',
  predictions: 'predictions',
  workOrders: 'work-orders',
} as const;
export type DatasetKey = keyof typeof DATASETS;

/** Work-order statuses that still need someone. */
export const OPEN_STATUSES = ['open', 'acknowledged', 'escalated'] as const;

const col = (ds: DatasetKey, columnName: string): Column => ({ dataSetIdentifier: DATASETS[ds], columnName });
const title = (text: string) => ({ visibility: 'VISIBLE', formatText: { plainText: text } });
const dim = (fieldId: string, column: Column) => ({ categoricalDimensionField: { fieldId, column } });
const time = (fieldId: string, column: Column, dateGranularity: string) => ({
  dateDimensionField: { fieldId, column, dateGranularity },
});
const count = (fieldId: string, column: Column) => ({
  categoricalMeasureField: { fieldId, column, aggregationFunction: 'COUNT' },
});
const numeric = (fieldId: string, column: Column, fn: string) => ({
  numericalMeasureField: { fieldId, column, aggregationFunction: { simpleNumericalAggregation: fn } },
});
const raw = (fieldId: string, column: Column) => ({ fieldId, column });

const SHEETS = { fleet: 'fleet', trends: 'device-trends', anomalies: 'anomaly-timeline' } as const;

/**
 * The operator dashboard as code: fleet health (devices reporting, anomalies by device and
 * severity, failure risk, open work orders), per-device trends (a device picker and one small
 * chart per measure of 1-minute averages) and the anomaly timeline.
 */
export function operatorDashboardDefinition(datasetArns: Readonly<Record<DatasetKey, string>>): Definition {
  const fleet: Visual[] = [
    {
      kpiVisual: {
        visualId: 'devices-reporting',
        title: title('Devices reporting'),
        chartConfiguration: {
          fieldWells: {
            values: [
              {
                categoricalMeasureField: {
                  fieldId: 'devices',
                  column: col('telemetry', 'device_id'),
                  aggregationFunction: 'DISTINCT_COUNT',
                },
              },
            ],
          },
        },
      },
    },
    {
      barChartVisual: {
        visualId: 'anomalies-by-device',
        title: title('Anomalies by device and severity'),
        chartConfiguration: {
          fieldWells: {
            barChartAggregatedFieldWells: {
              category: [dim('anomaly-device', col('anomalies', 'device_id'))],
              values: [count('anomaly-count', col('anomalies', 'device_id'))],
              colors: [dim('anomaly-severity', col('anomalies', 'severity'))],
            },
          },
          orientation: 'HORIZONTAL',
          barsArrangement: 'STACKED',
        },
      },
    },
    {
      tableVisual: {
        visualId: 'failure-risk',
        title: title('Failure risk by device (highest predicted probability)'),
        chartConfiguration: {
          fieldWells: {
            tableAggregatedFieldWells: {
              groupBy: [dim('risk-device', col('predictions', 'device_id'))],
              values: [numeric('risk-probability', col('predictions', 'probability'), 'MAX')],
            },
          },
        },
      },
    },
    {
      tableVisual: {
        visualId: 'open-work-orders',
        title: title('Open work orders'),
        chartConfiguration: {
          fieldWells: {
            tableUnaggregatedFieldWells: {
              values: [
                'work_order_id',
                'device_id',
                'status',
                'severity',
                'score',
                'opened_at',
                'updated_at',
              ].map((c) => raw(`wo-${c}`, col('workOrders', c))),
            },
          },
        },
      },
    },
  ];

  const trends: Visual[] = [
    {
      lineChartVisual: {
        visualId: 'device-trends',
        title: title('Per-device trends (1-minute averages)'),
        chartConfiguration: {
          fieldWells: {
            lineChartAggregatedFieldWells: {
              category: [time('trend-minute', col('telemetry', 'minute'), 'MINUTE')],
              values: [numeric('trend-avg', col('telemetry', 'avg_value'), 'AVERAGE')],
              smallMultiples: [dim('trend-measure', col('telemetry', 'measure'))],
            },
          },
        },
      },
    },
  ];

  const timeline: Visual[] = [
    {
      barChartVisual: {
        visualId: 'anomaly-timeline',
        title: title('Anomalies per hour by severity'),
        chartConfiguration: {
          fieldWells: {
            barChartAggregatedFieldWells: {
              category: [time('timeline-hour', col('anomalies', 'time'), 'HOUR')],
              values: [count('timeline-count', col('anomalies', 'device_id'))],
              colors: [dim('timeline-severity', col('anomalies', 'severity'))],
            },
          },
          orientation: 'VERTICAL',
          barsArrangement: 'STACKED',
        },
      },
    },
    {
      tableVisual: {
        visualId: 'anomaly-list',
        title: title('Anomalies'),
        chartConfiguration: {
          fieldWells: {
            tableUnaggregatedFieldWells: {
              values: ['time', 'device_id', 'severity', 'score', 'source'].map((c) =>
                raw(`list-${c}`, col('anomalies', c)),
              ),
            },
          },
        },
      },
    },
  ];

  return {
    dataSetIdentifierDeclarations: (Object.keys(DATASETS) as DatasetKey[]).map((k) => ({
      identifier: DATASETS[k],
      dataSetArn: datasetArns[k],
    })),
    parameterDeclarations: [
      {
        stringParameterDeclaration: {
          name: 'device',
          parameterValueType: 'SINGLE_VALUED',
          defaultValues: { staticValues: [] },
        },
      },
    ],
    sheets: [
      { sheetId: SHEETS.fleet, name: 'Fleet health', visuals: fleet },
      {
        sheetId: SHEETS.trends,
        name: 'Device trends',
        visuals: trends,
        parameterControls: [
          {
            dropdown: {
              parameterControlId: 'device-picker',
              title: 'Device',
              sourceParameterName: 'device',
              type: 'SINGLE_SELECT',
              selectableValues: { linkToDataSetColumn: col('telemetry', 'device_id') },
            },
          },
        ],
      },
      { sheetId: SHEETS.anomalies, name: 'Anomaly timeline', visuals: timeline },
    ],
    filterGroups: [
      {
        filterGroupId: 'open-work-orders-only',
        crossDataset: 'SINGLE_DATASET',
        status: 'ENABLED',
        scopeConfiguration: {
          selectedSheets: {
            sheetVisualScopingConfigurations: [
              { sheetId: SHEETS.fleet, scope: 'SELECTED_VISUALS', visualIds: ['open-work-orders'] },
            ],
          },
        },
        filters: [
          {
            categoryFilter: {
              filterId: 'open-status',
              column: col('workOrders', 'status'),
              configuration: {
                filterListConfiguration: { matchOperator: 'CONTAINS', categoryValues: [...OPEN_STATUSES] },
              },
            },
          },
        ],
      },
      {
        filterGroupId: 'picked-device',
        crossDataset: 'SINGLE_DATASET',
        status: 'ENABLED',
        scopeConfiguration: {
          selectedSheets: {
            sheetVisualScopingConfigurations: [
              { sheetId: SHEETS.trends, scope: 'SELECTED_VISUALS', visualIds: ['device-trends'] },
            ],
          },
        },
        filters: [
          {
            categoryFilter: {
              filterId: 'device-is-picked',
              column: col('telemetry', 'device_id'),
              configuration: {
                customFilterConfiguration: {
                  matchOperator: 'EQUALS',
                  parameterName: 'device',
                  nullOption: 'NON_NULLS_ONLY',
                  selectAllOptions: 'FILTER_ALL_VALUES',
                },
              },
            },
          },
        ],
      },
    ],
  };
}
