/** The estimate as text: a table per service, the detail lines, the sensitivity and the sources. */
import { byService, type Estimate, type FleetProfile, type PricedLine, type Variation } from './model';
import { PRICES_CHECKED, type PriceTable, priceOf, type Region } from './prices';

const usd = (v: number | null): string => {
  if (v === null) return 'n/a';
  if (v === 0) return '0';
  if (Math.abs(v) < 0.01) return '<0.01';
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2);
};
const qty = (v: number): string =>
  v === 0 ? '0' : v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 1 ? v.toFixed(2) : v.toPrecision(2);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A service's cell: its sum, marked `+?` when some of its lines have no price. */
function cell(totals: Map<string, { usd: number; unpriced: boolean }>, service: string, divide = 1): string {
  const s = totals.get(service);
  if (!s) return '–';
  if (s.usd === 0 && s.unpriced) return 'n/a';
  return `${usd(s.usd / divide)}${s.unpriced ? ' +?' : ''}`;
}

export interface ReportInput {
  readonly estimate: Estimate;
  readonly profile: FleetProfile;
  readonly region: Region;
  readonly prices: PriceTable;
  readonly sensitivity?: readonly Variation[];
  /** Print every billed quantity with its price. */
  readonly detail?: boolean;
}

export function formatReport(input: ReportInput): string {
  const { estimate: e, profile, region } = input;
  const devices = Math.max(1, profile.devices);
  const rest = byService(e.atRest);
  const aiot = byService(e.aiot);
  const naive = byService(e.naive);
  const services = [...new Set([...aiot.keys(), ...naive.keys()])];
  const rows = services.map((s) => [
    s,
    cell(rest, s),
    cell(aiot, s),
    cell(aiot, s, devices),
    cell(naive, s),
    cell(naive, s, devices),
  ]);
  rows.push([
    'total (priced lines)',
    usd(e.totals.atRest),
    usd(e.totals.aiot),
    usd(e.perDeviceMonth.aiot),
    usd(e.totals.naive),
    usd(e.perDeviceMonth.naive),
  ]);
  const f = e.aiotUsage.flows;
  const n = e.naiveUsage.flows;
  const out: string[] = [
    `aiot cost — ${region}, list prices looked up on ${PRICES_CHECKED}: check the current AWS pricing pages before relying on these figures.`,
    `fleet: ${profile.devices.toLocaleString('en-US')} devices × ${profile.readingsPerSecond} readings/s × ${profile.measuresPerReading} measures; ` +
      `${profile.readingsPerMessage} readings a message; ${Math.round(profile.edgeShare * 100)}% behind an edge core ` +
      `(window ${profile.edgeWindowSeconds} s); ${profile.anomaliesPerDeviceDay} anomalies/device-day`,
    `aiot:  ${qty(f.telemetryMessagesPerSecond ?? 0)} telemetry messages/s over Basic Ingest (${f.telemetryPayloadBytes} B each, ` +
      `${f.iotUnitsPerTelemetryMessage} IoT unit), ${qty(f.storeRecordsPerSecond ?? 0)} store records/s, ${f.kinesisShards} shards, ${f.edgeCores} edge cores`,
    `naive: ${qty(n.telemetryMessagesPerSecond ?? 0)} messages/s through the broker, ${qty(n.storeRecordsPerSecond ?? 0)} store records/s (one per measure), ${n.kinesisShards} shards`,
    '',
    'USD a month',
    table(['service', 'at rest', 'aiot', 'aiot/device', 'naive', 'naive/device'], rows),
    '',
    Number.isFinite(e.ratio)
      ? `naive ÷ aiot: ${e.ratio.toFixed(1)}× (over the lines priced on both sides)`
      : 'naive ÷ aiot: n/a (nothing priced)',
  ];
  if (e.unpriced.length > 0) {
    out.push(
      '',
      `+? / n/a: no verified price for ${e.unpriced.join(', ')}. These lines are left out of the totals;`,
      '    give your own figures with --prices <file.json> (docs/cost.md).',
    );
  }
  const warnings = [...new Set([...e.aiotUsage.warnings, ...e.naiveUsage.warnings])];
  if (warnings.length > 0) out.push('', ...warnings.map((w) => `warning: ${w}`));
  if (input.sensitivity) {
    out.push(
      '',
      'What moves the aiot total (one setting changed at a time):',
      table(
        ['setting', 'value', 'aiot USD/month', 'change'],
        input.sensitivity.map((v) => [
          v.setting,
          v.value,
          usd(v.aiotUsd),
          v.unpricedDifference.length > 0
            ? `n/a (no price: ${v.unpricedDifference.join(', ')})`
            : `${v.change >= 0 ? '+' : ''}${(v.change * 100).toFixed(1)}%`,
        ]),
      ),
    );
  }
  if (input.detail)
    out.push(
      '',
      formatDetail(e.aiot, 'aiot', input.prices),
      '',
      formatDetail(e.naive, 'naive', input.prices),
    );
  return out.join('\n');
}

/** Every billed quantity, its price and where the price was read. */
export function formatDetail(lines: readonly PricedLine[], title: string, prices: PriceTable): string {
  const rows = lines.map((l) => {
    const p = priceOf(prices, l.priceKey);
    return [
      `${l.service}: ${l.item}`,
      `${qty(l.quantity)} ${l.unit}`,
      p.usd === null ? 'missing' : `$${p.usd} ${p.unit}`,
      p.evidence,
      usd(l.usd),
    ];
  });
  return `${title}, line by line\n${table(['line', 'quantity', 'price', 'evidence', 'USD'], rows)}`;
}

/** The price table of a region: key, figure, unit, evidence, source. */
export function formatPrices(prices: PriceTable, region: Region): string {
  const rows = Object.entries(prices).map(([key, p]) => [
    key,
    p.usd === null ? 'missing' : `$${p.usd}`,
    p.unit,
    p.evidence,
    `${p.source}${p.note ? ` — ${p.note}` : ''}`,
  ]);
  return `prices for ${region}, looked up on ${PRICES_CHECKED}\n${table(['key', 'USD', 'unit', 'evidence', 'source'], rows)}`;
}
