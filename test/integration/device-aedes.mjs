// An aedes MQTT 3.1.1 broker in its own process (aedes is ESM-only, which jest cannot load):
// `node device-aedes.mjs <port>` prints "ready <port>" once listening; SIGTERM stops it.
import net from 'node:net';
import { Aedes } from 'aedes';

const port = Number(process.argv[2]);
const broker = await Aedes.createBroker();
const server = net.createServer(broker.handle);
server.listen(port, '127.0.0.1', () => process.stdout.write(`ready ${port}\n`));
process.on('SIGTERM', () => {
  server.close();
  broker.close(() => process.exit(0));
});
