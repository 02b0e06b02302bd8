// The demo page: the official Socket.IO client, nothing else. Messages are
// kept by id so that edits, deletes and streamed appends update them in
// place; history arrives as ordinary events (replay_history), recovered
// events as if they had never been missed.
"use strict";

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const me = params.get("name") || "guest" + Math.floor(Math.random() * 1000);
$("name").value = me;
const messages = new Map(); // id -> {el, data}
let room = null;

const socket = io({
  auth: { name: me },
  // Reconnect quickly after a drop, so the demo shows recovery at once.
  reconnectionDelay: 500,
  reconnectionDelayMax: 1000,
});

function status() {
  const s = $("status");
  s.className = socket.connected ? "online" : "offline";
  s.textContent = socket.connected
    ? `online as ${me}\nid ${socket.id}\nrecovered: ${socket.recovered}${room ? "\nroom " + room : ""}`
    : "offline";
  document.body.dataset.connected = String(socket.connected);
  document.body.dataset.recovered = String(socket.recovered);
  document.body.dataset.sid = socket.id || "";
}

function render(id) {
  const m = messages.get(id);
  const d = m.data;
  m.el.className = "msg" + (d.deleted ? " deleted" : "") +
    (d.user === me ? " mine" : "") + (d.user === "assistant" ? " assistant" : "");
  m.el.dataset.id = id;
  m.el.textContent = "";
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = d.user;
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = d.deleted ? "(deleted)" : d.text + (d.edited ? " (edited)" : "");
  m.el.append(who, text);
  if (d.user === me && !d.deleted) {
    for (const [label, action] of [["edit", edit], ["delete", remove]]) {
      const b = document.createElement("button");
      b.textContent = label;
      b.className = label;
      b.onclick = () => action(id);
      m.el.append(b);
    }
  }
}

function upsert(id, data) {
  let m = messages.get(id);
  if (!m) {
    m = { el: document.createElement("p"), data };
    messages.set(id, m);
    $("log").append(m.el);
  }
  m.data = data;
  render(id);
  $("log").scrollTop = $("log").scrollHeight;
}

socket.on("connect", status);
socket.on("disconnect", status);
socket.on("chat", (d) => upsert(d.id, d));
socket.onAny((event, data) => {
  // An assistant answer: its text is the data, its id in the event name.
  if (event.startsWith("answer:")) upsert(event.slice(7), { user: "assistant", text: data });
});
socket.on("history:append", (m) => {
  const cur = messages.get(m.message_id);
  if (cur) upsert(m.message_id, { ...cur.data, text: cur.data.text + m.fragment, final: m.final });
});
socket.on("history:update", (m) => upsert(m.message_id, m.data));
socket.on("history:delete", (m) => {
  const cur = messages.get(m.message_id);
  if (cur) upsert(m.message_id, { ...cur.data, deleted: true });
});

function edit(id) {
  const text = prompt("Edit your message", messages.get(id).data.text);
  if (text !== null) socket.emit("edit", room, id, text);
}

function remove(id) {
  socket.emit("delete", room, id);
}

$("join").onclick = () => {
  if (room) socket.emit("leave", room);
  room = $("room").value;
  messages.clear();
  $("log").textContent = "";
  socket.emit("join", room, (reply) => {
    document.body.dataset.joined = room;
    document.body.dataset.replayed = String(reply.replayed);
    status();
  });
};
$("drop").onclick = () => socket.io.engine.close();
// The server hands every client off and a new process takes over, on the
// same durable store: the pages come back recovered.
$("restart").onclick = () => socket.emit("restart");
// A new name is a new identity (messages are owned by name): reopen the
// page as that user.
$("name").onchange = () => {
  const name = $("name").value.trim();
  if (name && name !== me) location.search = "?name=" + encodeURIComponent(name);
};
$("ask").onclick = () => room && socket.emit("ask", room);
$("send").onsubmit = (e) => {
  e.preventDefault();
  const text = $("text").value;
  if (room && text.trim()) socket.emit("chat", room, text);
  $("text").value = "";
};
// For tests and the curious: the page's state.
window.demo = { socket, messages, me };
