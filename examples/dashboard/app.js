// The page's script: follows the server-sent events, draws each heater's card, charts
// and controls, and the connection's story. Only textContent is written from data:
// names, labels and errors come from the network.
"use strict";

// Every field of a card gets the id "<field>-<device key>", e.g. "temp-aabbccddeeff";
// charts "chart-<name>-<key>"; controls "input-<control>-<key>", "set-<control>-<key>"
// and their outcome "ctl-<control>-<key>".
const FIELDS = ["temp", "setpoint", "mode", "operation", "heat", "power", "charge", "tank",
  "updated", "stale", "range", "vacation-hint", "refusal"];
const CONTROLS = ["temperature", "mode", "vacation"];
const CHARTS = ["temps", "power", "charge"];

// Samples by device key, oldest first; the latest snapshot; server time minus ours.
let series = {};
let latest = null;
let clockOffset = 0;

function serverNow() {
  return Date.now() + clockOffset;
}

function number(value, digits, suffix) {
  return typeof value === "number" ? value.toFixed(digits) + suffix : "–";
}

function text(value) {
  return value === null || value === undefined || value === "" ? "–" : String(value);
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

function time(value) {
  return value ? clock(typeof value === "number" ? value : Date.parse(value)) : "–";
}

function duration(ms) {
  if (ms < 1000) return Math.round(ms) + " ms";
  if (ms < 60e3) return (ms / 1000).toFixed(1) + " s";
  const s = Math.round(ms / 1000);
  if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
  return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
}

function byId(id) {
  return document.getElementById(id);
}

function cardFor(device) {
  let card = byId("device-" + device.key);
  if (card) return card;
  card = byId("card-template").content.firstElementChild.cloneNode(true);
  card.id = "device-" + device.key;
  for (const field of FIELDS) {
    card.querySelector(`[data-field='${field}']`).id = field + "-" + device.key;
  }
  for (const chart of CHARTS) {
    card.querySelector(`[data-chart='${chart}']`).id = `chart-${chart}-${device.key}`;
  }
  for (const control of CONTROLS) {
    const input = card.querySelector(`[data-input='${control}']`);
    const button = card.querySelector(`[data-set='${control}']`);
    input.id = `input-${control}-${device.key}`;
    button.id = `set-${control}-${device.key}`;
    card.querySelector(`[data-state='${control}']`).id = `ctl-${control}-${device.key}`;
    button.addEventListener("click", () => submit(device.mac, device.key, control));
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        submit(device.mac, device.key, control);
      }
    });
  }
  const select = card.querySelector("[data-input='mode']");
  select.addEventListener("change", () => { select.dataset.touched = "yes"; });
  byId("devices").appendChild(card);
  return card;
}

function showOutcome(output, stage, message) {
  output.dataset.stage = stage;
  output.textContent = message;
}

// Sends one control; the library validates it. Its answer shows at once; what becomes of
// it afterwards (queued, sent, expired, refused by the heater) comes with the events.
async function submit(mac, key, control) {
  const input = byId(`input-${control}-${key}`);
  const button = byId(`set-${control}-${key}`);
  const output = byId(`ctl-${control}-${key}`);
  const field = { temperature: "temperature", mode: "mode", vacation: "days" }[control];
  button.disabled = true;
  showOutcome(output, "sending", "sending…");
  try {
    const response = await fetch(`/api/devices/${encodeURIComponent(mac)}/${control}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ [field]: input.value }),
    });
    if (!response.ok) {
      const answer = await response.json().catch(() => ({}));
      showOutcome(output, response.status === 400 ? "invalid" : "failed",
        answer.error || "refused (HTTP " + response.status + ")");
    }
  } catch (error) {
    showOutcome(output, "failed", "the dashboard did not answer");
  } finally {
    button.disabled = false;
  }
}

function renderControls(device, unit) {
  const key = device.key;
  const limits = device.limits;
  const setpoint = byId(`input-temperature-${key}`);
  if (typeof device.setpoint === "number") setpoint.placeholder = device.setpoint.toFixed(0);
  if (typeof limits.setpointMin === "number") setpoint.min = limits.setpointMin;
  if (typeof limits.setpointMax === "number") setpoint.max = limits.setpointMax;
  byId(`range-${key}`).textContent = typeof limits.setpointMin === "number" && typeof limits.setpointMax === "number"
    ? `${limits.setpointMin}–${limits.setpointMax} ${unit}` : unit;
  byId(`vacation-hint-${key}`).textContent = limits.vacation ? "days (1–30)" : "days (not offered by this heater)";

  const select = byId(`input-mode-${key}`);
  const wanted = limits.modes.map((m) => m.key).join(",");
  if (select.dataset.modes !== wanted) {
    const chosen = select.value;
    select.replaceChildren(...limits.modes.map((m) => {
      const option = document.createElement("option");
      option.value = m.key;
      option.textContent = m.label;
      return option;
    }));
    if (limits.modes.some((m) => m.key === chosen)) select.value = chosen;
    select.dataset.modes = wanted;
  }
  // Until the owner picks one, the list shows the mode the heater is in.
  if (!select.dataset.touched) {
    const current = limits.modes.find((m) => m.label === device.mode);
    if (current) select.value = current.key;
  }

  for (const control of CONTROLS) {
    const setting = device.controls[control];
    const output = byId(`ctl-${control}-${key}`);
    if (setting) {
      showOutcome(output, setting.stage, `${setting.value}: ${setting.text} (${clock(setting.at)})`);
    }
  }
  const refusal = device.controls.refusal;
  byId(`refusal-${key}`).textContent = refusal
    ? `The heater refused a control at ${clock(refusal.at)}: ${refusal.reason}.` : "";
}

function renderCard(device, snapshot) {
  const card = cardFor(device);
  const degrees = " " + snapshot.unit;
  card.classList.toggle("stale", device.stale);
  card.querySelector(".name").textContent = device.name || "Water heater";
  card.querySelector(".mac").textContent = device.macTail;
  const values = {
    temp: number(device.waterTemperature, 1, degrees),
    setpoint: number(device.setpoint, 1, degrees),
    mode: text(device.mode),
    operation: text(device.operation),
    heat: text(device.heating),
    power: number(device.powerWatts, 0, " W"),
    charge: number(device.tankChargePercent, 0, " %"),
    tank: number(device.upperTemperature, 1, "") + " / " + number(device.lowerTemperature, 1, degrees),
    updated: time(device.updated),
    stale: device.stale ? "stale: last known values, the link is down" : "",
  };
  for (const [field, value] of Object.entries(values)) {
    byId(field + "-" + device.key).textContent = value;
  }
  renderControls(device, snapshot.unit);
}

// The class of the latest failed attempt, in words.
const FAILURE_CLASSES = {
  unreachable: "cloud unreachable",
  auth_rejected: "credentials refused by the cloud",
  credentials: "no credentials (sign-in or renewal failed)",
  restore: "restoring the session failed",
  other: "connection failed",
};

function outcomeText(outage) {
  switch (outage.outcome) {
    case "recovered":
      if (outage.networkBack !== null) {
        return `back ${duration(outage.backAfterMs)} after the cloud answered again (seen by the probe at ${clock(outage.networkBack)})`;
      }
      return outage.backAfterMs !== null ? `recovered ${duration(outage.backAfterMs)} after its last attempt started` : "recovered";
    case "failed":
      return outage.failure === "invalid_credentials"
        ? "the client gave up: the account was refused" : "the client gave up: attempt limit reached";
    case "disconnected":
      return "ended by disconnecting";
    default:
      return "still down" + (outage.lastReason ? "; last attempt: " + outage.lastReason : "");
  }
}

function episodeItem(episode, now) {
  const item = document.createElement("li");
  const when = document.createElement("span");
  const what = document.createElement("span");
  when.className = "when";
  what.className = "what";
  item.dataset.kind = episode.kind;
  if (episode.kind === "renewal") {
    item.dataset.at = episode.at;
    when.textContent = clock(episode.at);
    what.textContent = `Credentials renewed (${episode.method === "sign_in" ? "sign-in" : "refresh"})`;
  } else {
    const end = episode.end === null ? now : episode.end;
    item.dataset.outcome = episode.outcome;
    item.dataset.start = episode.start;
    item.dataset.end = episode.end === null ? "" : episode.end;
    when.textContent = `${clock(episode.start)} – ${episode.end === null ? "now" : clock(episode.end)}`;
    const parts = [`Down ${duration(end - episode.start)}${episode.end === null ? " so far" : ""}: ${episode.cause}`];
    if (episode.attemptCount > 0) {
      const deep = episode.deepCount > 0 ? ` (${episode.deepCount} deep)` : "";
      parts.push(`${episode.attemptCount} attempt${episode.attemptCount === 1 ? "" : "s"}${deep}`);
    }
    if (FAILURE_CLASSES[episode.class]) {
      parts.push(FAILURE_CLASSES[episode.class]);
    }
    if (episode.renewals.length > 0) {
      parts.push(`credentials renewed ×${episode.renewals.length}`);
    }
    parts.push(outcomeText(episode));
    what.textContent = parts.join(" · ");
  }
  item.append(when, what);
  return item;
}

function renderStory(snapshot) {
  const list = byId("episodes");
  const now = serverNow();
  const items = snapshot.episodes.slice().reverse().map((episode) => episodeItem(episode, now));
  if (items.length === 0) {
    const empty = document.createElement("li");
    empty.className = "empty";
    empty.textContent = "Nothing yet: no outage and no credential renewal in the window.";
    items.push(empty);
  }
  list.replaceChildren(...items);
}

// Outages as bands, attempts and renewals as ticks: the same on every chart.
function storyOverlay(episodes) {
  const bands = [];
  const marks = [];
  for (const episode of episodes) {
    if (episode.kind === "renewal") {
      marks.push({ at: episode.at, cls: "renewal", title: "credentials renewed at " + clock(episode.at) });
      continue;
    }
    bands.push({
      start: episode.start,
      end: episode.end,
      cls: "outage " + (episode.end === null ? "ongoing" : "ended"),
      title: `outage from ${clock(episode.start)}${episode.end === null ? " (under way)" : " to " + clock(episode.end)}: ${episode.cause}`,
    });
    for (const attempt of episode.attempts) {
      const kind = attempt.kind === "deep" ? "deep" : "quick";
      marks.push({ at: attempt.at, cls: kind, title: `${kind} attempt ${attempt.number} at ${clock(attempt.at)}` });
    }
    for (const renewal of episode.renewals) {
      marks.push({ at: renewal.at, cls: "renewal", title: "credentials renewed at " + clock(renewal.at) });
    }
  }
  return { bands, marks };
}

function drawCharts() {
  if (!latest) return;
  const to = serverNow();
  const from = to - latest.windowMs;
  const { bands, marks } = storyOverlay(latest.episodes);
  for (const device of latest.devices) {
    const samples = series[device.key] || [];
    const line = (field) => samples.map((s) => [s.t, s[field]]);
    const common = { from, to, bands, marks };
    Charts.draw(byId(`chart-temps-${device.key}`), {
      ...common,
      unit: latest.unit,
      series: [
        { cls: "upper", label: "tank upper", points: line("upper") },
        { cls: "lower", label: "tank lower", points: line("lower") },
        { cls: "setpoint", label: "setpoint", points: line("setpoint"), step: true },
      ],
    });
    Charts.draw(byId(`chart-power-${device.key}`), {
      ...common, unit: "W", yMin: 0, series: [{ cls: "power", label: "power", points: line("power") }],
    });
    Charts.draw(byId(`chart-charge-${device.key}`), {
      ...common, unit: "%", yMin: 0, yMax: 100, series: [{ cls: "charge", label: "tank charge", points: line("charge") }],
    });
  }
}

// A stream's first frame has every history; a status's frame the sample it added.
function onFrame(snapshot) {
  if (snapshot.history) series = snapshot.history.devices;
  if (snapshot.appended) {
    const list = series[snapshot.appended.device] || (series[snapshot.appended.device] = []);
    const sample = snapshot.appended.sample;
    if (list.length > 0 && sample.t < list[list.length - 1].t) list.length = 0;
    list.push(sample);
  }
  const oldest = snapshot.now - snapshot.windowMs;
  for (const list of Object.values(series)) {
    let drop = 0;
    while (drop < list.length && list[drop].t < oldest) drop += 1;
    if (drop > 0) list.splice(0, drop);
  }
  latest = snapshot;
  clockOffset = snapshot.now - Date.now();
  const connection = byId("connection");
  connection.textContent = snapshot.connection.label;
  connection.dataset.state = snapshot.connection.state;
  for (const device of snapshot.devices) renderCard(device, snapshot);
  renderStory(snapshot);
  drawCharts();
}

const source = new EventSource("/events");
source.onmessage = (event) => onFrame(JSON.parse(event.data));
// The browser reconnects by itself; the first message after that is a full snapshot.
source.onerror = () => {
  const connection = byId("connection");
  connection.textContent = "dashboard unreachable, retrying…";
  connection.dataset.state = "offline";
};
// The time axis moves, and an outage under way grows, without any event.
setInterval(() => {
  if (latest) {
    renderStory(latest);
    drawCharts();
  }
}, 5000);
