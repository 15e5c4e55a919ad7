/* The step-through player's one script. It only displays: Python computed every frame
   (tinygrad_edu/player/document.py) into the JSON document of this page. Every piece of
   text from the document is written with textContent, never parsed as HTML.

   Frame k shows: the values revealed by the forward frames up to k, each gradient as the
   latest frame up to k left it, and frame k's node, inputs, edges and sentences. A step to
   the next or previous frame repaints only the nodes those two frames mention; a jump
   (slider, Home/End, a link) checks every node. Either way only what differs from the
   screen is touched, so a step stays well within one animation frame (16 ms) even on a
   graph of a thousand values. */
(function () {
  "use strict";

  var doc = JSON.parse(document.getElementById("player-data").textContent);
  var nodes = doc.nodes;
  var frames = doc.frames;
  var last = frames.length - 1;
  var SVG = "http://www.w3.org/2000/svg";
  var byId = function (id) { return document.getElementById(id); };

  var svg = document.querySelector("#graph svg");
  var graphTitle = svg.querySelector("g.graph > title");  // "%3": not worth a tooltip
  if (graphTitle) graphTitle.parentNode.removeChild(graphTitle);
  var labels = document.createElementNS(SVG, "g");  // the edge labels of the current frame
  svg.querySelector("g.graph").appendChild(labels);

  // The picture's pieces for every node: in a box the last two texts are data and grad.
  var view = nodes.map(function (node, i) {
    var group = byId("n" + i);
    var texts = group.getElementsByTagName("text");
    var grad = texts[texts.length - 1];
    return {
      group: group,
      op: byId("n" + i + "_op"),
      data: texts[texts.length - 2],
      grad: grad,
      gradCell: grad.previousElementSibling,
      title: group.getElementsByTagName("title")[0],
      shown: null  // a key for what is on the screen now
    };
  });

  var revealedAt = nodes.map(function () { return 0; });  // nodes without a forward frame show at once
  frames.forEach(function (frame, k) {
    if (frame.reveal !== undefined) revealedAt[frame.reveal] = k;
  });

  // every node's gradient updates, in frame order: [[frame, update], ...]
  var history = nodes.map(function () { return []; });
  frames.forEach(function (frame, k) {
    (frame.grads || []).forEach(function (update) { history[update.node].push([k, update]); });
  });

  function gradAt(i, k) {  // the latest update of node i at or before frame k
    var h = history[i];
    for (var j = h.length - 1; j >= 0; j--) if (h[j][0] <= k) return h[j][1];
    return null;
  }

  function mentioned(frame) {  // the nodes a frame changes or highlights
    var list = (frame.marks || []).slice();
    if (frame.node !== null && frame.node !== undefined) list.push(frame.node);
    if (frame.reveal !== undefined) list.push(frame.reveal);
    (frame.grads || []).forEach(function (update) { list.push(update.node); });
    return list;
  }

  function rolesAt(frame) {
    var roles = {};
    (frame.marks || []).forEach(function (j) { roles[j] = "input"; });
    (frame.accumulate || []).forEach(function (j) { roles[j] = "input accum"; });
    if (frame.node !== null && frame.node !== undefined) roles[frame.node] = "current";
    return roles;
  }

  function signClass(sign) {
    if (sign === null) return "nan";
    return sign > 0 ? "pos" : sign < 0 ? "neg" : "zero";
  }

  function setRole(element, revealed, role) {
    if (!element) return;
    element.setAttribute("class", "node" + (revealed ? "" : " pending") + (role ? " " + role : ""));
  }

  function paint(i, revealed, role, grad) {
    var v = view[i], node = nodes[i];
    setRole(v.group, revealed, role);
    setRole(v.op, revealed, role === "current" ? "current" : "");
    v.data.textContent = revealed ? node.data : node.data0;
    v.grad.textContent = grad ? grad.text : node.grad0;
    v.grad.setAttribute("class", grad ? signClass(grad.sign) : "");
    var tint = "none";
    if (grad && grad.mag > 0) {
      var rgb = grad.sign < 0 ? "198, 40, 40" : "21, 101, 192";
      tint = "rgba(" + rgb + ", " + (0.08 + 0.4 * grad.mag).toFixed(3) + ")";
    }
    v.gradCell.style.setProperty("fill", tint);
    v.title.textContent = node.name + "\n" + (revealed ? node.exact : node.data0) + "\n" +
      (grad ? "grad " + grad.exact : node.grad0);
  }

  var activeEdges = [];

  function showEdges(frame) {
    activeEdges.forEach(function (edge) { edge.setAttribute("class", "edge"); });
    activeEdges = [];
    while (labels.firstChild) labels.removeChild(labels.firstChild);
    (frame.edges || []).forEach(function (e) {
      var edge = byId(e.id);
      if (!edge) return;
      edge.setAttribute("class", "edge active");
      activeEdges.push(edge);
      if (!e.label) return;
      var path = edge.getElementsByTagName("path")[0];
      var middle = path.getPointAtLength(path.getTotalLength() / 2);
      var text = document.createElementNS(SVG, "text");
      text.setAttribute("x", middle.x.toFixed(1));
      text.setAttribute("y", (middle.y - 5).toFixed(1));
      text.setAttribute("text-anchor", "middle");
      text.setAttribute("class", "edge-label");
      text.textContent = e.label;
      labels.appendChild(text);
    });
  }

  function showPanel(frame) {
    byId("phase").textContent = frame.phase;
    var node = frame.node === null || frame.node === undefined ? null : nodes[frame.node];
    byId("current").textContent = node ? "current node: " + node.name : "";
    byId("sentence").textContent = frame.text;
    var list = byId("lines");
    while (list.firstChild) list.removeChild(list.firstChild);
    (frame.lines || []).forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line;
      list.appendChild(item);
    });
  }

  var current = -1;

  function show(k) {
    k = Math.max(0, Math.min(last, Math.floor(k)));
    var frame = frames[k];
    var roles = rolesAt(frame);
    var step = current >= 0 && Math.abs(k - current) === 1;
    var check = step ? mentioned(frames[current]).concat(mentioned(frame)) : null;
    var count = check ? check.length : nodes.length;
    for (var c = 0; c < count; c++) {
      var i = check ? check[c] : c;
      var revealed = k >= revealedAt[i];
      var role = roles[i] || "";
      var g = gradAt(i, k);
      var key = (revealed ? "r" : "p") + role + (g ? "|" + g.text + "|" + g.sign + "|" + g.mag : "");
      if (view[i].shown === key) continue;
      view[i].shown = key;
      paint(i, revealed, role, g);
    }
    showEdges(frame);
    showPanel(frame);
    current = k;
    byId("counter").textContent = "step " + k + " / " + last;
    byId("slider").value = String(k);
    byId("link").setAttribute("href", "#step=" + k);
    byId("link").textContent = "link to step " + k;
    byId("first").disabled = byId("prev").disabled = k === 0;
    byId("next").disabled = byId("last").disabled = k === last;
    if (frame.node !== null && frame.node !== undefined) {
      keepInView([frame.node].concat(frame.marks || []));
    }
  }

  // Scroll the graph (only if needed) so that the current node and its inputs are in sight.
  var area = byId("graph");
  function keepInView(indices) {
    var box = area.getBoundingClientRect();
    var left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
    indices.forEach(function (i) {
      var r = view[i].group.getBoundingClientRect();
      left = Math.min(left, r.left); top = Math.min(top, r.top);
      right = Math.max(right, r.right); bottom = Math.max(bottom, r.bottom);
    });
    if (left < box.left || right > box.right) {
      area.scrollLeft += (left + right) / 2 - (box.left + box.right) / 2;
    }
    if (top < box.top || bottom > box.bottom) {
      area.scrollTop += (top + bottom) / 2 - (box.top + box.bottom) / 2;
    }
  }

  // ***** controls: buttons, slider, keys, play/pause, links to a step *****

  var timer = null;

  function setPlaying(on) {
    if (timer !== null) { clearInterval(timer); timer = null; }
    if (on) {
      if (current === last) show(0);
      timer = setInterval(function () {
        if (current >= last) setPlaying(false); else show(current + 1);
      }, 700);
    }
    var button = byId("play");
    button.textContent = on ? "pause" : "play";
    button.setAttribute("aria-label", on ? "pause" : "play");
  }

  function go(k) { setPlaying(false); show(k); }

  byId("first").addEventListener("click", function () { go(0); });
  byId("prev").addEventListener("click", function () { go(current - 1); });
  byId("next").addEventListener("click", function () { go(current + 1); });
  byId("last").addEventListener("click", function () { go(last); });
  byId("play").addEventListener("click", function () { setPlaying(timer === null); });
  byId("fit").addEventListener("click", function () { byId("graph").classList.toggle("fit"); });
  var slider = byId("slider");
  slider.max = String(last);
  slider.addEventListener("input", function () { go(Number(slider.value)); });

  var KEYS = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === " " || event.key === "Spacebar") {
      event.preventDefault();
      setPlaying(timer === null);
    } else if (KEYS[event.key] !== undefined) {
      event.preventDefault();
      go(current + KEYS[event.key]);
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      go(event.key === "Home" ? 0 : last);
    }
  });

  function stepInLink() {
    var match = /^#step=(\d+)$/.exec(window.location.hash);
    return match ? Number(match[1]) : null;
  }
  window.addEventListener("hashchange", function () {
    var k = stepInLink();
    if (k !== null) go(k);
  });

  // A graph a little too wide for the window is shown shrunk to fit; a big one at full size.
  var natural = svg.getBoundingClientRect().width;
  if (natural > area.clientWidth && area.clientWidth / natural > 0.5) area.classList.add("fit");

  byId("title").textContent = doc.title;
  show(stepInLink() || 0);
})();
