// Many official socket.io-client sockets in one Node process, for reconnect
// storms: one JSON command per line on stdin, one JSON report per line on
// stdout.
//
// Commands:
//   {"cmd": "open", "url", "n", "room"}: connect n sockets (websocket), each
//     joins `room` (the server's "join" handler acks); reports
//     {"ev": "opened", "n", "ms"}.
//   "drop": every transport dies at once (engine.close()), with no
//     reconnection until "reconnect"; reports {"ev": "dropped"} once every
//     socket saw its disconnect.
//   "reconnect": every socket reconnects at once; reports {"ev":
//     "reconnected", "ms"} once all are connected again (ms from the
//     command to the last connect).
//   {"cmd": "check", "expect"}: compares what each socket received since
//     the drop with `expect` (the first arguments of the events, in order);
//     reports {"ev": "checked", "recovered", "same_id", "exact", "example"}
//     (counts of sockets, and one socket's events when some differ).
//   "exit".
"use strict";

const { io } = require("socket.io-client");
const readline = require("readline");

function report(msg) {
  process.stdout.write(JSON.stringify(msg) + "\n");
}

let clients = [];

function whenAll(pred, done) {
  const tick = () => (clients.every(pred) ? done() : setTimeout(tick, 5));
  tick();
}

const commands = {
  open({ url, n, room }) {
    const t0 = Date.now();
    let joined = 0;
    for (let i = 0; i < n; i++) {
      const socket = io(url, {
        transports: ["websocket"],
        forceNew: true,
        reconnectionDelay: 100,
        reconnectionDelayMax: 100,
        randomizationFactor: 0,
      });
      const c = { socket, firstId: null, events: [], connected: false };
      socket.on("connect", () => {
        c.connected = true;
        if (c.firstId === null) {
          c.firstId = socket.id;
          socket.emit("join", room, () => {
            joined += 1;
            if (joined === n) report({ ev: "opened", n, ms: Date.now() - t0 });
          });
        }
      });
      socket.on("disconnect", () => (c.connected = false));
      socket.onAny((_name, ...args) => c.events.push(args[0]));
      clients.push(c);
    }
  },
  drop() {
    for (const c of clients) {
      c.socket.io.reconnection(false);
      c.socket.io.engine.close();
    }
    whenAll((c) => !c.connected, () => {
      for (const c of clients) c.events = [];
      report({ ev: "dropped" });
    });
  },
  reconnect() {
    const t0 = Date.now();
    for (const c of clients) {
      c.socket.io.reconnection(true);
      c.socket.connect();
    }
    whenAll((c) => c.connected, () => report({ ev: "reconnected", ms: Date.now() - t0 }));
  },
  check({ expect }) {
    const want = JSON.stringify(expect);
    let recovered = 0;
    let sameId = 0;
    let exact = 0;
    let example = null;
    for (const c of clients) {
      if (c.socket.recovered) recovered += 1;
      if (c.socket.id === c.firstId) sameId += 1;
      if (JSON.stringify(c.events) === want) exact += 1;
      else if (example === null) example = c.events;
    }
    report({ ev: "checked", recovered, same_id: sameId, exact, example });
  },
  exit() {
    for (const c of clients) c.socket.disconnect();
    process.exit(0);
  },
};

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  if (!line.trim()) return;
  const msg = JSON.parse(line);
  (commands[msg.cmd] || (() => report({ ev: "error", message: `unknown ${msg.cmd}` })))(msg);
});
process.stdin.on("end", () => process.exit(0));
report({ ev: "ready" });
