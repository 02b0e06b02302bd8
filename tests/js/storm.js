// Many official socket.io-client sockets in one Node process, for reconnect
// storms: one JSON command per line on stdin, one JSON report per line on
// stdout.
//
// Commands:
//   {"cmd": "open", "url", "n", "room", "deflate"}: connect n sockets
//     (websocket), each joins `room` (the server's "join" handler acks);
//     reports {"ev": "opened", "n", "ms"}. `deflate: false`: the sockets do
//     not offer permessage-deflate (they do by default, as browsers do).
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
//   "reset": forgets what every socket received.
//   "latency": for events whose first argument carries `t` (the sender's
//     Date.now()-style ms): reports {"ev": "latency", "counts" (per socket),
//     "p50", "p99", "max", "last"} (ms from `t` to arrival; `last`: when the
//     last one arrived).
//   {"cmd": "texts", "expect"}: message texts built from "history:append"
//     operations (fragments "<token>@<t> ", `t` when it was sent) against
//     `expect` ({message_id: text}); reports {"ev": "texts", "exact"
//     (sockets whose texts equal it), "example" (one message that differs), "p50", "p99", "max",
//     "appends"}.
//   "exit".
"use strict";

const { io } = require("socket.io-client");
const readline = require("readline");

function report(msg) {
  process.stdout.write(JSON.stringify(msg) + "\n");
}

let clients = [];

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : null;
}

function latencies(list) {
  const all = list.sort((a, b) => a - b);
  return { p50: percentile(all, 0.5), p99: percentile(all, 0.99), max: all[all.length - 1] ?? null };
}

// Wall-clock ms with a fraction, comparable with Python's time.time() * 1000.
const now = () => performance.timeOrigin + performance.now();

function whenAll(pred, done) {
  const tick = () => (clients.every(pred) ? done() : setTimeout(tick, 5));
  tick();
}

const commands = {
  open({ url, n, room, deflate = true }) {
    const t0 = Date.now();
    let joined = 0;
    for (let i = 0; i < n; i++) {
      const socket = io(url, {
        transports: ["websocket"],
        forceNew: true,
        reconnectionDelay: 100,
        reconnectionDelayMax: 100,
        randomizationFactor: 0,
        ...(deflate ? {} : { perMessageDeflate: false }),
      });
      const c = { socket, firstId: null, events: [], connected: false, lat: [], last: 0, texts: {}, opLat: [] };
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
      socket.onAny((name, ...args) => {
        const arg = args[0];
        if (name === "history:append") {
          const at = now();
          c.texts[arg.message_id] = (c.texts[arg.message_id] || "") + arg.fragment;
          const sent = Number(String(arg.fragment).split("@")[1]);
          if (!Number.isNaN(sent)) c.opLat.push(at - sent);
          return;
        }
        if (name.startsWith("history:")) return;
        c.events.push(arg);
        if (arg !== null && typeof arg === "object" && typeof arg.t === "number") {
          c.last = now();
          c.lat.push(c.last - arg.t);
        }
      });
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
  reset() {
    for (const c of clients) Object.assign(c, { events: [], lat: [], last: 0, texts: {}, opLat: [] });
    report({ ev: "reset" });
  },
  latency() {
    const counts = clients.map((c) => c.lat.length);
    const last = Math.max(0, ...clients.map((c) => c.last));
    report({ ev: "latency", counts, last, ...latencies(clients.flatMap((c) => c.lat)) });
  },
  texts({ expect }) {
    const want = JSON.stringify(Object.entries(expect).sort());
    let exact = 0;
    let example = null;
    for (const c of clients) {
      if (JSON.stringify(Object.entries(c.texts).sort()) === want) exact += 1;
      else if (example === null) {
        const mid = Object.keys(expect).find((m) => c.texts[m] !== expect[m]);
        example = { message_id: mid, got: c.texts[mid] ?? null, want: expect[mid] };
      }
    }
    const ops = clients.flatMap((c) => c.opLat);
    report({ ev: "texts", exact, example, appends: ops.length, ...latencies(ops) });
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
