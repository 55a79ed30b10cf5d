// A small SVG time-series renderer, written for this page (no library, nothing fetched).
//
// Charts.draw(svg, spec) redraws one chart:
//   spec.from, spec.to   the time axis, ms since the Unix epoch
//   spec.series          [{cls, label, points: [[t, value or null], ...], step}]
//                        (null breaks the line, and so does a gap of several missed polls,
//                        as in an outage; step draws a staircase, as for a setpoint)
//   spec.bands           [{start, end or null (under way), cls, title}], shaded behind the lines
//   spec.marks           [{at, cls, title}], ticks at the foot of the plot
//   spec.yMin, spec.yMax fixed bounds (else from the data), spec.unit for the labels
// The svg gets data-points (samples drawn); each line data-count (its non-null points);
// each band data-start and data-end (empty while under way).
"use strict";

const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const WIDTH = 760;
  const HEIGHT = 140;
  const PAD = { left: 46, right: 8, top: 8, bottom: 20 };
  // Tick steps for the time axis, the smallest giving at most six ticks is used.
  const STEPS = [10e3, 30e3, 60e3, 5 * 60e3, 15 * 60e3, 30 * 60e3, 3600e3, 2 * 3600e3,
    3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 24 * 3600e3];

  function node(name, attrs, parent) {
    const element = document.createElementNS(NS, name);
    for (const [key, value] of Object.entries(attrs)) {
      element.setAttribute(key, String(value));
    }
    if (parent) parent.appendChild(element);
    return element;
  }

  function titled(element, text) {
    if (text) node("title", {}, element).textContent = text;
    return element;
  }

  function clockLabel(t, withSeconds) {
    const options = { hour: "2-digit", minute: "2-digit", hour12: false };
    if (withSeconds) options.second = "2-digit";
    return new Date(t).toLocaleTimeString([], options);
  }

  // Rounded bounds with a little room, so a flat line is not glued to an edge.
  function yRange(spec) {
    let low = Infinity;
    let high = -Infinity;
    for (const series of spec.series) {
      for (const [t, value] of series.points) {
        if (value === null || t < spec.from || t > spec.to) continue;
        low = Math.min(low, value);
        high = Math.max(high, value);
      }
    }
    if (spec.yMin !== undefined) low = spec.yMin;
    if (spec.yMax !== undefined) high = Math.max(spec.yMax, high);
    if (!isFinite(low) || !isFinite(high)) return [0, 1];
    if (high - low < 1e-9) {
      low -= 1;
      high += 1;
    }
    const room = spec.yMin === undefined ? (high - low) * 0.08 : 0;
    return [low - room, high + (spec.yMax === undefined ? room : 0)];
  }

  // Longest time between two samples still joined by a line: a few typical intervals.
  function longestJoin(points) {
    const gaps = [];
    for (let i = 1; i < points.length; i += 1) gaps.push(points[i][0] - points[i - 1][0]);
    if (gaps.length === 0) return Infinity;
    gaps.sort((a, b) => a - b);
    return Math.max(1000, 4 * gaps[Math.floor(gaps.length / 2)]);
  }

  function draw(svg, spec) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
    const plotW = WIDTH - PAD.left - PAD.right;
    const plotH = HEIGHT - PAD.top - PAD.bottom;
    const span = Math.max(1, spec.to - spec.from);
    const [yLow, yHigh] = yRange(spec);
    const x = (t) => PAD.left + ((t - spec.from) / span) * plotW;
    const y = (v) => PAD.top + (1 - (v - yLow) / (yHigh - yLow)) * plotH;

    node("rect", { class: "plot", x: PAD.left, y: PAD.top, width: plotW, height: plotH }, svg);

    // Bands first: the lines stay readable on top of them.
    for (const band of spec.bands || []) {
      const end = band.end === null ? spec.to : band.end;
      if (end < spec.from || band.start > spec.to) continue;
      const left = x(Math.max(band.start, spec.from));
      const right = x(Math.min(end, spec.to));
      const rect = node("rect", {
        class: "band " + band.cls,
        x: left.toFixed(1),
        y: PAD.top,
        width: Math.max(1.5, right - left).toFixed(1),
        height: plotH,
        "data-start": band.start,
        "data-end": band.end === null ? "" : band.end,
      }, svg);
      titled(rect, band.title);
    }

    // Horizontal grid and value labels: low, middle, high.
    for (const fraction of [0, 0.5, 1]) {
      const value = yLow + fraction * (yHigh - yLow);
      const gy = y(value);
      node("line", { class: "grid", x1: PAD.left, x2: WIDTH - PAD.right, y1: gy, y2: gy }, svg);
      const digits = yHigh - yLow < 10 ? 1 : 0;
      const label = node("text", { class: "axis", x: PAD.left - 4, y: gy + 3, "text-anchor": "end" }, svg);
      label.textContent = value.toFixed(digits) + (spec.unit ? " " + spec.unit : "");
    }

    // Time ticks.
    const step = STEPS.find((s) => span / s <= 6) || STEPS[STEPS.length - 1];
    const offset = new Date().getTimezoneOffset() * 60e3;
    for (let t = Math.ceil((spec.from - offset) / step) * step + offset; t <= spec.to; t += step) {
      const tx = x(t);
      node("line", { class: "grid", x1: tx, x2: tx, y1: PAD.top, y2: PAD.top + plotH }, svg);
      // A label cut by the edge reads as a different time: leave it out.
      if (tx < PAD.left + 22 || tx > WIDTH - 26) continue;
      const label = node("text", { class: "axis", x: tx, y: HEIGHT - 6, "text-anchor": "middle" }, svg);
      label.textContent = clockLabel(t, step < 60e3);
    }

    // Lines: one path per series, broken at gaps.
    let drawn = 0;
    for (const series of spec.series) {
      let d = "";
      let count = 0;
      let previous = null;
      let previousT = null;
      const visible = series.points.filter(([t, value]) => value !== null && t >= spec.from && t <= spec.to);
      const join = longestJoin(visible);
      for (const [t, value] of series.points) {
        if (t < spec.from || t > spec.to) continue;
        if (value === null) {
          previous = null;
          continue;
        }
        const px = x(t).toFixed(1);
        const py = y(value).toFixed(1);
        if (previous === null || t - previousT > join) {
          d += `M${px} ${py}`;
        } else if (series.step) {
          d += `H${px}V${py}`;
        } else {
          d += `L${px} ${py}`;
        }
        previous = value;
        previousT = t;
        count += 1;
      }
      // A lone point would be invisible as a path: give it a dot.
      if (count === 1) d += "h0.01";
      const path = node("path", { class: "line " + series.cls, d: d || "M0 0", "data-count": count }, svg);
      titled(path, series.label);
      drawn = Math.max(drawn, count);
    }

    for (const mark of spec.marks || []) {
      if (mark.at < spec.from || mark.at > spec.to) continue;
      const mx = x(mark.at);
      const foot = PAD.top + plotH;
      const line = node("line", { class: "mark " + mark.cls, x1: mx, x2: mx, y1: foot - 8, y2: foot }, svg);
      titled(line, mark.title);
    }
    svg.setAttribute("data-points", drawn);
  }

  return { draw, clockLabel };
})();
