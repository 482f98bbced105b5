// Renders every server-built chart on the page with the vendored ECharts (static/vendor/).
// A chart is <div class="chart" data-option-id="ID"> plus a json_script element with that id
// holding the ECharts option (apps/core/charts.py builds it).
(function () {
  function render() {
    if (!window.echarts) return;
    document.querySelectorAll(".chart[data-option-id]").forEach(function (el) {
      var source = document.getElementById(el.dataset.optionId);
      if (!source) return;
      var chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption(JSON.parse(source.textContent));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
