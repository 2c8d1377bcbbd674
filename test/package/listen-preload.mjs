// Loaded with `node --import` before each program that test/integration/package-install.test.ts
// runs in its fresh app (the README's snippets, the CommonJS app): a server that asks for a fixed
// port (the quick start's 3000) listens on a free one instead, as in test/examples/run.ts, so a
// run never collides with a real service; and each server prints `LISTENING <port>` on stdout
// once it listens, the line the test waits for.

import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnFreePort(...args) {
  const [first] = args;
  if ((typeof first === 'number' || /^\d+$/.test(String(first))) && Number(first) !== 0) {
    args[0] = 0;
  } else if (typeof first === 'object' && first !== null && 'port' in first && first.port) {
    args[0] = { ...first, port: 0 };
  }
  this.once('listening', () => {
    const address = this.address();
    if (typeof address === 'object' && address !== null) {
      process.stdout.write(`LISTENING ${address.port}\n`);
    }
  });
  return listen.apply(this, args);
};
