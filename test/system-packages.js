/**
 * Jest global setup: the integration and browser tests drive real programs from the system's
 * packages. When one is missing, the run stops here with the command that installs it, instead
 * of failing later inside a test.
 */
const { existsSync } = require('node:fs');

const PROGRAMS = [
  { path: process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto', pkg: 'mosquitto', why: 'MQTT broker tests' },
  { path: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium', pkg: 'chromium', why: 'dashboard browser test' },
  { path: process.env.INFLUXD_BIN ?? '/usr/bin/influxd', pkg: 'influxdb', why: 'InfluxDB adapter tests' },
];

module.exports = async () => {
  const missing = PROGRAMS.filter((p) => !existsSync(p.path));
  if (missing.length === 0) return;
  const list = missing
    .map((p) => `  - ${p.path} (Debian/Ubuntu package "${p.pkg}", for the ${p.why})`)
    .join('\n');
  const install = `sudo apt-get install -y ${missing.map((p) => p.pkg).join(' ')}`;
  const error = new Error(
    `the tests need programs this machine lacks:\n${list}\nInstall them with:\n  ${install}\n`,
  );
  error.stack = error.message;
  throw error;
};
