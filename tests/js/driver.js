// Drives the official socket.io-client for the Python tests: one JSON
// command per line on stdin, one JSON report per line on stdout.
//
// Commands: {"cmd": "connect", "url", "namespace", "transports", "auth",
// "path"},
// "drop" (the transport dies: socket.io.engine.close()), "disconnect",
// "reconnect" (socket.connect()), {"cmd": "emit", "event", "args", "ack"},
// "state", "exit". Reports: {"ev": "connect", "id", "recovered", "pid"},
// {"ev": "event", "name", "args"} (binary as {"$bytes": base64}),
// {"ev": "disconnect", "reason"}, {"ev": "connect_error", "message"},
// {"ev": "ack", "args"}, {"ev": "state", ...}, {"ev": "ready"}.
"use strict";

const { io } = require("socket.io-client");
const readline = require("readline");

let socket = null;

function encode(value) {
  if (value instanceof ArrayBuffer) value = Buffer.from(value);
  if (Buffer.isBuffer(value)) return { $bytes: value.toString("base64") };
  if (Array.isArray(value)) return value.map(encode);
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = encode(v);
    return out;
  }
  return value;
}

function report(msg) {
  process.stdout.write(JSON.stringify(msg) + "\n");
}

function state() {
  return {
    ev: "state",
    id: socket ? socket.id || null : null,
    connected: socket ? socket.connected : false,
    recovered: socket ? socket.recovered : false,
    pid: socket ? socket._pid || null : null,
    lastOffset: socket ? socket._lastOffset || null : null,
  };
}

const commands = {
  connect({ url, namespace = "/", transports = ["websocket"], auth, delay = 100, path }) {
    const opts = {
      transports,
      reconnectionDelay: delay,
      reconnectionDelayMax: delay,
      randomizationFactor: 0,
      forceNew: true,
    };
    if (auth !== undefined) opts.auth = auth;
    if (path !== undefined) opts.path = path;
    socket = io(url + (namespace === "/" ? "" : namespace), opts);
    socket.on("connect", () =>
      report({ ev: "connect", id: socket.id, recovered: socket.recovered, pid: socket._pid || null }),
    );
    socket.on("disconnect", (reason) => report({ ev: "disconnect", reason }));
    socket.on("connect_error", (err) => report({ ev: "connect_error", message: String(err.message) }));
    socket.onAny((name, ...args) => {
      // An event the server wants acknowledged: answer "ack", report it apart.
      const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
      report({ ev: "event", name, args: encode(args), acked: ack !== null });
      if (ack) ack("ack");
    });
  },
  drop({ hold = false }) {
    // Only a connected socket: a drop during the reconnection would land
    // between a replay and its CONNECT reply, and socket.io-client keeps the
    // events it buffered there across the drop (it would then dispatch the
    // replay twice).
    if (!socket.connected) return report({ ev: "drop_skipped" });
    // Held: no reconnection until `release`, so what the test does while
    // the client is away never races the reconnection delay.
    if (hold) socket.io.reconnection(false);
    socket.io.engine.close();
  },
  hold() {
    // Connected, but no reconnection once the transport dies (until
    // `release`): lets a test restart the server in between.
    socket.io.reconnection(false);
    report({ ev: "held" });
  },
  release() {
    // The reconnection socket.io-client would have made: the same CONNECT,
    // with the pid and the last offset.
    socket.io.reconnection(true);
    socket.connect();
  },
  disconnect() {
    socket.disconnect();
  },
  reconnect() {
    socket.connect();
  },
  emit({ event, args = [], ack = false }) {
    if (ack) socket.emit(event, ...args, (...res) => report({ ev: "ack", args: encode(res) }));
    else socket.emit(event, ...args);
  },
  state() {
    report(state());
  },
  exit() {
    if (socket) socket.close();
    process.exit(0);
  },
};

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  if (!line.trim()) return;
  const msg = JSON.parse(line);
  const run = commands[msg.cmd];
  if (!run) return report({ ev: "error", message: `unknown command ${msg.cmd}` });
  try {
    run(msg);
  } catch (err) {
    report({ ev: "error", message: String(err && err.stack) });
  }
});
process.stdin.on("end", () => process.exit(0));
report({ ev: "ready" });
