// The load of `npm run bench:e2e`, in its own process so the broker and the pipeline under test
// do not share their event loop with the publishers: `devices` MQTT clients (client id = device
// id, as the per-device topic rule wants) publish valid telemetry at `rate` messages/s in total
// for `seconds`, QoS 1 like the device agent. Each message carries its send time as the reading
// time, so the receiver can tell the latency. Prints one JSON line when done:
// {"sent": n, "acked": n, "seconds": s, "cpuMs": ms} (CPU time while publishing).
//
// Several of these run side by side when one process cannot offer enough; `firstDevice` keeps
// their device ids apart.
//
//   node e2e-load.mjs <brokerUrl> <devices> <rate> <seconds> <readingsPerMessage> [firstDevice]
import mqtt from 'mqtt';

const [url, devicesArg, rateArg, secondsArg, readingsArg, firstArg] = process.argv.slice(2);
const devices = Number(devicesArg);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const readingsPer = Number(readingsArg);
const SITE = 'bench';
const UNITS = { vibration_rms: 'mm/s', bearing_temp_c: 'degC', motor_current_a: 'A', pressure_kpa: 'kPa' };

const first = Number(firstArg ?? 0);
const ids = Array.from({ length: devices }, (_, i) => `bench-${String(first + i).padStart(5, '0')}`);
const clients = await Promise.all(
  ids.map((id) => mqtt.connectAsync(url, { clientId: id, reconnectPeriod: 0, keepalive: 60 })),
);
const seqs = new Array(devices).fill(0);
// A device's readings need distinct times (the store refuses a second, different reading at the
// same instant), so a device's send time steps past its previous one.
const lastTs = new Array(devices).fill(0);

function payload(i, now) {
  const seq = seqs[i]++;
  const sentAt = Math.max(now, lastTs[i] + readingsPer);
  lastTs[i] = sentAt;
  const readings = [];
  for (let r = 0; r < readingsPer; r++) {
    readings.push({
      // The newest reading is the send time; earlier ones step back a millisecond each.
      ts: sentAt - (readingsPer - 1 - r),
      values: {
        vibration_rms: 2 + Math.sin(seq + r) * 0.3,
        bearing_temp_c: 45 + ((seq + r) % 7) * 0.1,
        motor_current_a: 12.5 + Math.cos(seq) * 0.4,
        pressure_kpa: 310 + (seq % 13),
      },
    });
  }
  return JSON.stringify({
    schema: 'aiot.telemetry/1',
    deviceId: ids[i],
    site: SITE,
    seq,
    units: UNITS,
    readings,
  });
}

process.stdout.write('connected\n');
const cpuStart = process.cpuUsage();
let sent = 0;
let acked = 0;
let next = 0;
const start = performance.now();
const startMs = Date.now();
await new Promise((resolve) => {
  const tick = () => {
    const elapsed = (performance.now() - start) / 1000;
    if (elapsed >= seconds) return resolve();
    const due = Math.floor(elapsed * rate);
    const now = startMs + Math.round(performance.now() - start);
    while (sent < due) {
      const i = next;
      next = (next + 1) % devices;
      sent++;
      clients[i].publish(`dt/aiot/${SITE}/${ids[i]}/telemetry`, payload(i, now), { qos: 1 }, (err) => {
        if (!err) acked++;
      });
    }
    setTimeout(tick, 2);
  };
  tick();
});
const took = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
const cpuMs = (cpu.user + cpu.system) / 1000;
// Give outstanding acknowledgements a moment, then leave.
const deadline = Date.now() + 10_000;
while (acked < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
await Promise.all(clients.map((c) => c.endAsync()));
process.stdout.write(`${JSON.stringify({ sent, acked, seconds: took, cpuMs })}\n`);
