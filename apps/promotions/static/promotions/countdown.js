// Counts down every <time data-countdown datetime="…"> to its moment (hh:mm:ss, with days).
(function () {
  "use strict";
  var nodes = document.querySelectorAll("time[data-countdown]");
  if (!nodes.length) return;
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var now = Date.now();
    nodes.forEach(function (node) {
      var left = Math.max(0, Math.floor((Date.parse(node.getAttribute("datetime")) - now) / 1000));
      var days = Math.floor(left / 86400);
      var text = pad(Math.floor(left % 86400 / 3600)) + ":" + pad(Math.floor(left % 3600 / 60)) + ":" + pad(left % 60);
      node.textContent = (days ? days + " 天 " : "") + text;
    });
  }
  tick();
  window.setInterval(tick, 1000);
})();
