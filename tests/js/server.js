// The official Socket.IO server under Node, with connection state recovery
// on, driven from the Python tests: one JSON command per line on stdin, one
// JSON report per line on stdout.
//
// Commands: {"cmd": "emit", "event", "args", "to"}, {"cmd": "drop", "id"}
// (the server loses the transport, no close handshake: conn.close(true)),
// "exit". Reports: {"ev": "listening", "port"}, {"ev": "connection", "id",
// "recovered", "auth"}, {"ev": "disconnect", "id", "reason"}.
"use strict";

const http = require("http");
const { Server } = require("socket.io");
const readline = require("readline");

function report(msg) {
  process.stdout.write(JSON.stringify(msg) + "\n");
}

const httpServer = http.createServer();
// Short pings: a client notices a cut connection within a second.
const io = new Server(httpServer, {
  connectionStateRecovery: { maxDisconnectionDuration: 30000 },
  pingInterval: 500,
  pingTimeout: 500,
});
io.on("connection", (socket) => {
  report({ ev: "connection", id: socket.id, recovered: socket.recovered, auth: socket.handshake.auth });
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack("joined");
  });
  socket.on("disconnect", (reason) => report({ ev: "disconnect", id: socket.id, reason }));
});

const commands = {
  emit({ event, args = [], to }) {
    (to ? io.to(to) : io).emit(event, ...args);
  },
  drop({ id }) {
    const socket = io.of("/").sockets.get(id);
    if (socket) socket.conn.close(true);
  },
  exit() {
    io.close();
    process.exit(0);
  },
};

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  if (!line.trim()) return;
  const msg = JSON.parse(line);
  (commands[msg.cmd] || (() => report({ ev: "error", message: `unknown ${msg.cmd}` })))(msg);
});
process.stdin.on("end", () => process.exit(0));

// Loopback only.
httpServer.listen(0, "127.0.0.1", () => report({ ev: "listening", port: httpServer.address().port }));
