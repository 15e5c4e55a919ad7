/* The training page's one script. It only displays: Python recorded every frame
   (tinygrad_edu/watch/record.py) and packed it into this page's JSON document
   (tinygrad_edu/watch/document.py). Text from the document is written with textContent.

   At load the two packed blobs are inflated once with the browser's DecompressionStream:
   the float32 arrays (weights, gradients, example 0's activations) and the 8-bit images
   (heatmaps), stored as differences from the previous frame and summed back here. A frame
   step then only writes what that frame shows: text, markers, edge colours, small images. */
(function () {
  "use strict";

  var doc = JSON.parse(document.getElementById("watch-data").textContent);
  var byId = function (id) { return document.getElementById(id); };
  var SVG = "http://www.w3.org/2000/svg";
  var F = doc.steps.length;
  var last = Math.max(F - 1, 0);
  var current = 0, timer = null, floats = null, bytes = null;
  var hasFloat = function (name) { return doc.floats[name] !== undefined; };

  byId("title").textContent = doc.title;
  document.title = doc.title;

  // ***** numbers as text *****
  function isNum(v) { return typeof v === "number"; }
  function fmt(v) {  // 4 significant digits; nan / inf arrive as text and stay text
    if (!isNum(v)) return String(v);
    if (v !== v) return "nan";
    if (!isFinite(v)) return v > 0 ? "inf" : "-inf";
    if (v === 0) return "0";
    var a = Math.abs(v);
    return (a >= 1e4 || a < 1e-3) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
  }
  function par(v) { var t = fmt(v); return t.charAt(0) === "-" ? "(" + t + ")" : t; }

  // ***** colours: orange negative, white zero, blue positive (as TensorFlow Playground) *****
  var NEG = [245, 147, 34], POS = [8, 119, 189], MID = [250, 250, 250];
  var LUT = new Uint8ClampedArray(256 * 3);
  for (var q = 0; q < 256; q++) {
    var t = (q - 127.5) / 127.5, end = t < 0 ? NEG : POS, s = Math.abs(t);
    for (var c = 0; c < 3; c++) LUT[q * 3 + c] = Math.round(MID[c] + (end[c] - MID[c]) * s);
  }
  var CLASS = [[245, 147, 34], [8, 119, 189], [60, 170, 90], [200, 60, 150], [120, 90, 200], [90, 90, 90]];
  var LINE = ["#222", "#0877bd", "#d9534f", "#f59322", "#3a9a5b", "#8e44ad", "#7f8c8d", "#c0392b"];

  function paint(canvas, offset, w, h, mode) {  // 8-bit image -> pixels
    var ctx = canvas.getContext("2d");
    var img = ctx.createImageData(w, h), px = img.data, base = current * doc.nbytes + offset;
    for (var i = 0; i < w * h; i++) {
      var v = bytes[base + i], o = i * 4;
      if (mode === "class") {
        var col = CLASS[v % CLASS.length];
        px[o] = 160 + col[0] * 0.37; px[o + 1] = 160 + col[1] * 0.37; px[o + 2] = 160 + col[2] * 0.37;
      } else {
        px[o] = LUT[v * 3]; px[o + 1] = LUT[v * 3 + 1]; px[o + 2] = LUT[v * 3 + 2];
      }
      px[o + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  function sparkline(canvas, offset, n) {  // a 1-D unit: its activation along the input line
    var ctx = canvas.getContext("2d"), base = current * doc.nbytes + offset;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = "#999"; ctx.beginPath(); ctx.moveTo(0, canvas.height / 2); ctx.lineTo(canvas.width, canvas.height / 2); ctx.stroke();
    ctx.strokeStyle = "#0877bd"; ctx.beginPath();
    for (var i = 0; i < n; i++) {
      var x = i * (canvas.width - 1) / (n - 1), y = (255 - bytes[base + i]) * (canvas.height - 1) / 255;
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    }
    ctx.stroke();
  }

  function vec(name) {  // this frame's float32 array called name
    var spot = doc.floats[name];
    var base = current * doc.nfloats + spot[0];
    return floats.subarray(base, base + spot[1]);
  }

  // ***** the network: columns of units, edges between them *****
  var net = byId("net"), tip = byId("tip");
  var COL = 120, UNIT = 36, TOP = 4;
  var columns = [];  // each: {x, n, units: bool}
  var d = doc.input.d;
  columns.push({ n: d, units: d <= 32, label: "input" });
  doc.layers.forEach(function (layer) { columns.push({ n: layer.nout, units: layer.units, label: layer.name }); });
  var tallest = Math.max.apply(null, columns.map(function (c) { return c.units ? c.n : 1; }));
  var height = tallest * UNIT + TOP * 2 + 14, width = columns.length * COL;
  net.style.width = width + "px"; net.style.height = height + "px";
  function unitY(col, j) { var c = columns[col], n = c.units ? c.n : 1; return TOP + (tallest - n) * UNIT / 2 + j * UNIT; }
  function colX(col) { return 10 + col * COL; }
  var svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", width); svg.setAttribute("height", height);
  net.appendChild(svg);

  function showTip(event, lines) {
    tip.textContent = lines.join("\n");
    tip.hidden = false;
    tip.style.left = Math.min(event.clientX + 14, window.innerWidth - 430) + "px";
    tip.style.top = (event.clientY + 14) + "px";
  }
  function hideTip() { tip.hidden = true; }
  function hover(el, lines) {
    el.addEventListener("mousemove", function (e) { if (floats) showTip(e, lines()); });
    el.addEventListener("mouseleave", hideTip);
  }

  function hName(col, j) { return col === 0 ? "x" + (j + 1) : "h" + col + "[" + j + "]"; }
  function hValue(col, j) {  // the value unit j of column col takes for training example 0
    if (col === 0) return doc.input.x0[j];
    return hasFloat("h" + (col - 1)) ? vec("h" + (col - 1))[j] : NaN;
  }

  var edges = [];  // {line, layer, i, j}
  doc.layers.forEach(function (layer, k) {
    var x1 = colX(k) + (columns[k].units ? 30 : 60), x2 = colX(k + 1);
    if (!layer.edges) {  // a band: the layer's shape only
      var band = document.createElementNS(SVG, "line");
      band.setAttribute("x1", x1); band.setAttribute("x2", x2);
      band.setAttribute("y1", unitY(k, 0) + 15); band.setAttribute("y2", unitY(k + 1, 0) + 15);
      band.setAttribute("stroke", "#bbb"); band.setAttribute("stroke-width", 8);
      band.setAttribute("class", "edge");
      svg.appendChild(band);
      hover(band, function () {
        return ["layer " + layer.name + ": weight (" + layer.nout + ", " + layer.nin + ")",
                "z = W h + b, h = " + (layer.activation || "phi") + "(z)",
                "gradient norm of the layer: see the chart"];
      });
      return;
    }
    for (var j = 0; j < layer.nout; j++) {
      for (var i = 0; i < layer.nin; i++) {
        var line = document.createElementNS(SVG, "line");
        line.setAttribute("x1", x1); line.setAttribute("y1", unitY(k, i) + 15);
        line.setAttribute("x2", x2); line.setAttribute("y2", unitY(k + 1, j) + 15);
        line.setAttribute("class", "edge");
        svg.appendChild(line);
        edges.push({ line: line, k: k, i: i, j: j });
        (function (k, i, j) {
          hover(line, function () {
            var w = vec("W" + k)[j * doc.layers[k].nin + i], g = vec("gW" + k)[j * doc.layers[k].nin + i];
            var h = hValue(k, i);
            return ["weight W" + (k + 1) + "[" + j + ", " + i + "] = " + fmt(w) + "   (layer " + doc.layers[k].name + ")",
                    "it carries " + hName(k, i) + " into z" + (k + 1) + "[" + j + "] = ... + W" + (k + 1) + "[" + j + ", " + i + "] * " + hName(k, i) + " + ...",
                    "for training example 0: " + fmt(w) + " * " + par(h),
                    "gradient dL/dW = " + fmt(g) + "  (at this frame)"];
          });
        })(k, i, j);
      }
    }
  });

  var units = [];  // {canvas, entry} for heatmaps / sparklines
  var unitEntries = {};
  doc.images.forEach(function (e) { if (e.what === "unit") unitEntries[e.layer + ":" + e.unit] = e; });
  columns.forEach(function (c, col) {
    var count = c.units ? c.n : 1;
    for (var j = 0; j < count; j++) {
      var box = document.createElement("div");
      box.className = c.units ? "unit" : "unit box";
      box.style.left = colX(col) + "px"; box.style.top = unitY(col, j) + "px";
      if (!c.units) box.textContent = c.n + " units";
      var entry = col > 0 ? unitEntries[(col - 1) + ":" + j] : null;
      if (entry) {
        var canvas = document.createElement("canvas");
        canvas.width = doc.grid.dim === 2 ? entry.w : 28; canvas.height = doc.grid.dim === 2 ? entry.h : 28;
        box.appendChild(canvas);
        units.push({ canvas: canvas, entry: entry });
      }
      net.appendChild(box);
      (function (col, j, c) {
        hover(box, function () {
          if (!c.units) return [c.label + ": " + c.n + " units, too many to draw one by one"];
          if (col === 0) return ["input " + hName(0, j) + " = " + fmt(doc.input.x0[j]) + "  (training example 0)"];
          var k = col - 1, layer = doc.layers[k], lines = [];
          var z = hasFloat("z" + k) ? vec("z" + k)[j] : NaN, h = hValue(col, j);
          var act = layer.activation === "linear" ? "" : (layer.activation || "phi");
          lines.push("unit " + j + " of layer " + layer.name + ", for training example 0:");
          if (hasFloat("W" + k)) {
            var W = vec("W" + k), b = vec("b" + k), terms = [];
            if (layer.nin <= 4) {
              for (var i = 0; i < layer.nin; i++) terms.push(par(W[j * layer.nin + i]) + " * " + par(hValue(k, i)));
              lines.push("z = " + terms.join(" + ") + " + " + par(b[j]) + " = " + fmt(z));
            } else {
              lines.push("z = W" + (k + 1) + "[" + j + ", :] . h + b = (sum of " + layer.nin + " products) + " + par(b[j]) + " = " + fmt(z));
            }
            lines.push(act ? hName(col, j) + " = " + act + "(z) = " + act + "(" + fmt(z) + ") = " + fmt(h) : "output = z = " + fmt(z));
            lines.push("bias b = " + fmt(b[j]) + ", gradient dL/db = " + fmt(vec("gb" + k)[j]) + " (= dL/dz summed over the batch)");
          } else {
            lines.push("z = " + fmt(z) + (act ? ", " + act + "(z) = " + fmt(h) : ""));
          }
          if (hasFloat("scale" + k) && unitEntries[k + ":" + j]) lines.push("heatmap: this unit over the input plane, colours from -" + fmt(vec("scale" + k)[0]) + " to +" + fmt(vec("scale" + k)[0]));
          return lines;
        });
      })(col, j, c);
    }
  });
  var netNote = "Units: training example 0's values on hover.";
  if (doc.grid.dim === 2) netNote = "Each hidden unit shows its activation over the input plane (as on the right).";
  if (doc.grid.dim === 1) netNote = "Each hidden unit shows its activation along the input line.";
  byId("net-note").textContent = netNote;

  // ***** the data plane (2-D: boundary or surface; 1-D: the fitted curve) *****
  var surface = byId("surface"), dots = byId("dots"), outputEntry = null;
  doc.images.forEach(function (e) { if (e.what === "output") outputEntry = e; });
  var ext = doc.grid.extent;
  function px(v, axis) { var r = ext[axis]; return axis === 0 ? (v - r[0]) / (r[1] - r[0]) * 320 : (r[1] - v) / (r[1] - r[0]) * 320; }
  var yr = null;
  if (doc.grid.dim === 1) {
    var ys = doc.points.map(function (p) { return p[1]; }).filter(isNum);
    var lo = Math.min.apply(null, ys), hi = Math.max.apply(null, ys), pad = (hi - lo) * 0.25 || 1;
    yr = [lo - pad, hi + pad];
  }
  function ypx(v) { return (yr[1] - v) / (yr[1] - yr[0]) * 320; }
  if (doc.grid.dim) {
    var dctx = dots.getContext("2d"), targets = doc.points.map(function (p) { return p[doc.grid.dim]; }).filter(isNum);
    var tlo = Math.min.apply(null, targets), thi = Math.max.apply(null, targets);
    doc.points.forEach(function (p) {
      var x = px(p[0], 0), y = doc.grid.dim === 2 ? px(p[1], 1) : ypx(p[1]), t = p[doc.grid.dim], col;
      if (doc.kind === "class" && isNum(t)) col = CLASS[t % CLASS.length];
      else if (isNum(t) && doc.grid.dim === 2) { var qq = Math.round((t - tlo) / ((thi - tlo) || 1) * 255); col = [LUT[qq * 3], LUT[qq * 3 + 1], LUT[qq * 3 + 2]]; }
      else col = [90, 90, 90];
      dctx.beginPath(); dctx.arc(x, y, 3.2, 0, 2 * Math.PI);
      dctx.fillStyle = "rgb(" + col.join(",") + ")"; dctx.fill();
      dctx.lineWidth = 1; dctx.strokeStyle = p[doc.grid.dim + 1] ? "#000" : "#fff"; dctx.stroke();
    });
    if (doc.grid.dim === 2) { surface.width = outputEntry.w; surface.height = outputEntry.h; }
    else { surface.width = 320; surface.height = 320; }
    var what = doc.kind === "class" ? "the decision boundary: the colour is the class the network predicts there" :
      "the regression surface: the colour is the network's output there";
    var note = doc.grid.dim === 2 ? "Background: " + what + ". Dots: training examples (white ring) and test examples (black ring)." :
      "Dots: the data; line: the function the network computes.";
    note += " Grid: " + doc.grid.side + (doc.grid.dim === 2 ? " x " + doc.grid.side : "") + " points" +
      (doc.grid.scalar ? " (coarser: the scalar engine evaluates one point at a time)." : ".");
    byId("data-note").textContent = note;
  } else {
    byId("data").hidden = true;
  }
  function drawPlane() {
    if (doc.grid.dim === 2) paint(surface, outputEntry.at[0], outputEntry.w, outputEntry.h, doc.kind === "class" && doc.outputs > 2 ? "class" : "lut");
    if (doc.grid.dim === 1) {
      var ctx = surface.getContext("2d"), curve = vec("curve"), n = curve.length;
      ctx.clearRect(0, 0, 320, 320);
      ctx.strokeStyle = "#0877bd"; ctx.lineWidth = 2; ctx.beginPath();
      for (var i = 0; i < n; i++) {
        var x = i * 319 / (n - 1), y = ypx(curve[i]);
        if (i === 0 || !isFinite(y)) ctx.moveTo(x, isFinite(y) ? y : 0); else ctx.lineTo(x, y);
      }
      ctx.stroke();
    }
  }

  // ***** curves over time, drawn once; the current frame is a marker *****
  function chart(canvas, series, log, keysId, fixed) {
    var ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height, L = 44, B = 16;
    var values = [];
    series.forEach(function (s) { s.data.forEach(function (v) { if (isNum(v) && isFinite(v) && (!log || v > 0)) values.push(log ? Math.log10(v) : v); }); });
    var lo = fixed ? fixed[0] : Math.min.apply(null, values.length ? values : [0]);
    var hi = fixed ? fixed[1] : Math.max.apply(null, values.length ? values : [1]);
    if (hi - lo < 1e-12) { hi += 0.5; lo -= 0.5; }
    var X = function (f) { return L + (F > 1 ? f / (F - 1) : 0) * (W - L - 6); };
    var Y = function (v) { return 4 + (hi - v) / (hi - lo) * (H - B - 8); };
    var keys = byId(keysId);
    series.forEach(function (s, n) {
      ctx.strokeStyle = LINE[n % LINE.length]; ctx.lineWidth = 1.5; ctx.beginPath();
      var up = false;
      s.data.forEach(function (v, f) {
        if (!isNum(v) || !isFinite(v) || (log && v <= 0)) { up = false; return; }
        var y = Y(log ? Math.log10(v) : v);
        if (up) ctx.lineTo(X(f), y); else ctx.moveTo(X(f), y);
        up = true;
      });
      ctx.stroke();
      var key = document.createElement("span");
      key.textContent = "\u25AC " + s.name; key.style.color = LINE[n % LINE.length];
      keys.appendChild(key);
    });
    ctx.fillStyle = "#555"; ctx.font = "10px sans-serif";
    ctx.fillText(log ? "1e" + hi.toFixed(1) : fmt(hi), 2, 12);
    ctx.fillText(log ? "1e" + lo.toFixed(1) : fmt(lo), 2, H - B);
    ctx.fillText("step " + (doc.steps[0] || 0), L, H - 3);
    ctx.fillText("step " + (doc.steps[last] || 0), W - 60, H - 3);
    var still = document.createElement("canvas");
    still.width = W; still.height = H; still.getContext("2d").drawImage(canvas, 0, 0);
    return function () {
      ctx.clearRect(0, 0, W, H); ctx.drawImage(still, 0, 0);
      ctx.strokeStyle = "#c00"; ctx.lineWidth = 1; ctx.beginPath();
      ctx.moveTo(X(current), 2); ctx.lineTo(X(current), H - B + 2); ctx.stroke();
    };
  }
  var S = doc.series, markers = [];
  var lossSeries = [{ name: "loss (recorded)", data: S.loss }];
  if (doc.kind !== "none") {
    lossSeries.push({ name: "training loss (evaluation mode)", data: S.train_loss });
    if (S.test_loss.some(isNum)) lossSeries.push({ name: "test loss", data: S.test_loss });
  }
  markers.push(chart(byId("loss-chart"), lossSeries, false, "loss-keys"));
  if (doc.kind === "class") {
    var accSeries = [{ name: "training accuracy", data: S.train_accuracy }];
    if (S.test_accuracy.some(isNum)) accSeries.push({ name: "test accuracy", data: S.test_accuracy });
    markers.push(chart(byId("acc-chart"), accSeries, false, "acc-keys", [0, 1]));
  } else {
    byId("acc-title").hidden = true; byId("acc-chart").hidden = true;
  }
  var gradSeries = doc.groups.map(function (name, g) {
    return { name: name, data: doc.gradnorms.map(function (row) { return row[g]; }) };
  });
  markers.push(chart(byId("grad-chart"), gradSeries, true, "grad-keys"));

  // ***** first-layer weights as images *****
  var filters = doc.images.filter(function (e) { return e.what === "filter"; }).map(function (e) {
    var canvas = document.createElement("canvas");
    canvas.width = e.w; canvas.height = e.h;
    canvas.title = "unit " + e.unit + ": its weights on the " + e.h + " x " + e.w + " input pixels";
    byId("filters").appendChild(canvas);
    return { canvas: canvas, entry: e };
  });
  if (filters.length) byId("filters-box").hidden = false;

  // ***** into backpropagation *****
  var players = {};
  doc.players.forEach(function (p) { players[p.frame] = p; });
  var bpView = byId("bp-view"), bpOpen = byId("bp-open");
  if (doc.players.length) {
    byId("bp-note").textContent = "The step-through player of training example 0's loss, with the weights of a recorded frame, " +
      "is offered at frames " + doc.players.map(function (p) { return p.frame + " (step " + doc.steps[p.frame] + ")"; }).join(", ") +
      ". In Python, w.player(frame, example) builds it for any kept frame and example.";
    doc.players.forEach(function (p) {
      var b = document.createElement("button");
      b.type = "button"; b.textContent = "frame " + p.frame;
      b.addEventListener("click", function () { show(p.frame); openPlayer(); });
      byId("bp-frames").appendChild(b);
    });
  } else {
    byId("bp-note").textContent = doc.playerNote || "No frame offers the backprop view.";
  }
  function openPlayer() {
    var p = players[current];
    if (!p) return;
    bpView.srcdoc = p.html;
    bpView.hidden = false;
  }
  bpOpen.addEventListener("click", openPlayer);

  // ***** one frame *****
  var slider = byId("slider");
  slider.max = last;

  function render() {
    var k = current;
    slider.value = k;
    byId("counter").textContent = "frame " + k + " / " + last;
    byId("link").href = "#frame=" + k;
    if (!F) { byId("step").textContent = "no frames were recorded"; return; }
    byId("step").textContent = "step " + doc.steps[k];
    byId("loss").textContent = "loss " + fmt(S.loss[k]);
    var m = [];
    if (isNum(S.test_loss[k]) || typeof S.test_loss[k] === "string" && doc.kind !== "none" && S.test_loss.some(isNum)) m.push("test loss " + fmt(S.test_loss[k]));
    if (doc.kind === "class") {
      m.push("training accuracy " + fmt(S.train_accuracy[k]));
      if (S.test_accuracy.some(isNum)) m.push("test accuracy " + fmt(S.test_accuracy[k]));
    }
    byId("metrics").textContent = m.join(", ");
    markers.forEach(function (mark) { mark(); });
    var open = players[k] !== undefined;
    bpOpen.disabled = !open;
    bpOpen.textContent = open ? "open the step-through player at this frame" : "the step-through player is offered at the frames listed above";
    if (!floats) return;
    edges.forEach(function (e) {
      var layer = doc.layers[e.k], w = vec("W" + e.k)[e.j * layer.nin + e.i];
      var size = isNum(layer.wmax) && layer.wmax > 0 ? Math.min(Math.abs(w) / layer.wmax, 1) : 0;
      e.line.setAttribute("stroke", w < 0 ? "#f59322" : w > 0 ? "#0877bd" : "#bbb");
      e.line.setAttribute("stroke-width", isFinite(size) ? (0.3 + 4.7 * size).toFixed(2) : "1");
    });
    units.forEach(function (u) {
      if (doc.grid.dim === 2) paint(u.canvas, u.entry.at[0], u.entry.w, u.entry.h, "lut");
      else sparkline(u.canvas, u.entry.at[0], u.entry.w);
    });
    filters.forEach(function (f) { paint(f.canvas, f.entry.at[0], f.entry.w, f.entry.h, "lut"); });
    drawPlane();
  }

  function show(k) {
    current = Math.max(0, Math.min(last, k));
    render();
  }
  function stop() { if (timer) { clearInterval(timer); timer = null; byId("play").textContent = "play"; } }
  function toggle() {
    if (timer) { stop(); return; }
    if (current >= last) show(0);
    byId("play").textContent = "pause";
    timer = setInterval(function () { if (current >= last) stop(); else show(current + 1); }, 80);
  }
  byId("first").addEventListener("click", function () { stop(); show(0); });
  byId("prev").addEventListener("click", function () { stop(); show(current - 1); });
  byId("next").addEventListener("click", function () { stop(); show(current + 1); });
  byId("last").addEventListener("click", function () { stop(); show(last); });
  byId("play").addEventListener("click", toggle);
  slider.addEventListener("input", function () { stop(); show(Number(slider.value)); });
  document.addEventListener("keydown", function (e) {
    if (e.target && e.target.tagName === "INPUT" && e.target.type !== "range") return;
    var to = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: last }[e.key];
    if (to !== undefined) { stop(); show(to); e.preventDefault(); }
    else if (e.key === " ") { toggle(); e.preventDefault(); }
  });
  function fromHash() {
    var match = /frame=(\d+)/.exec(location.hash);
    if (match) show(Number(match[1]));
  }
  window.addEventListener("hashchange", fromHash);

  // ***** unpack the frames, then show the first (or the linked) one *****
  function unbase64(text) {
    var raw = atob(text), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function inflate(text) {
    var stream = new Blob([unbase64(text)]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer();
  }
  render();
  fromHash();
  Promise.all([inflate(doc.fblob), inflate(doc.bblob)]).then(function (parts) {
    floats = new Float32Array(parts[0]);
    bytes = new Uint8Array(parts[1]);
    var n = doc.nbytes;
    for (var i = n; i < bytes.length; i++) bytes[i] = (bytes[i] + bytes[i - n]) & 255;  // differences -> images
    render();
    document.body.setAttribute("data-ready", "1");
  }, function (error) {
    byId("data-note").textContent = "This browser cannot unpack the frames (" + error + "): the text and curves still work.";
    document.body.setAttribute("data-ready", "1");
  });
})();
