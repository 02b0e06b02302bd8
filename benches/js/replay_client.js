// The client of the replay benchmark (benches/python/bench_python.py): the
// official socket.io-client, connected over websocket, counting the events
// it receives. It prints {"id"} once connected, and {"count"} for each line
// read on stdin, so the benchmark's own process parses nothing per event.
"use strict";

const { io } = require("socket.io-client");
const readline = require("readline");

const socket = io(process.argv[2], { transports: ["websocket"], forceNew: true });
let count = 0;
socket.onAny(() => {
  count += 1;
});
socket.on("connect", () => process.stdout.write(JSON.stringify({ id: socket.id }) + "\n"));
readline
  .createInterface({ input: process.stdin })
  .on("line", () => process.stdout.write(JSON.stringify({ count }) + "\n"));
process.stdin.on("end", () => {
  socket.close();
  process.exit(0);
});
